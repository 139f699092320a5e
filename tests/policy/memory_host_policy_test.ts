import { createMemoryHostPolicy } from "../../src/policy/memory_host_policy.ts";
import { runHostPolicyContract } from "./_host_policy_contract.ts";

runHostPolicyContract("memory", (config) => createMemoryHostPolicy(config));
