/** Scenario texts shared by the loader's tests. */

/** The smallest valid scenario: one provider, one phase of 2 s at 5/s. Tests edit it with replace(). */
export const minimalScenario = `apiVersion: aire/v1
name: tiny
target:
  reference:
    providers:
      - { name: primary }
traffic:
  arrival: { rate: 5/s }
phases:
  - { name: only, duration: 2s }
`;
