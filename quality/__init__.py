"""Good-enough data, enforced: the policy, the Great Expectations suites, the results store and the gate."""
