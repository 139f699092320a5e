/**
 * The private-address guard on its own (`@trawl/trawl/guard`): refuses loopback,
 * private, link-local and metadata addresses after DNS resolution, so a crawler
 * cannot be pointed at the network it runs in.
 *
 * @example Check a host before connecting
 * ```ts
 * import { createAddressGuard } from "./guard.ts";
 *
 * const guard = createAddressGuard();
 * const refused = await guard.check("http://169.254.169.254/").then(() => false, () => true);
 * console.log(refused); // true: a cloud metadata address
 * ```
 *
 * @module
 */

export {
  type AddressGuard,
  type AddressGuardOptions,
  createAddressGuard,
} from "./src/guard/address_guard.ts";
