// A short, deliberate rule set: each rule guards against a defect this project has had or cannot
// afford (a promise nobody awaits leaves a fault or a process behind; a bare Error bypasses the
// error catalogue and its exit codes), not style, which the compiler (strict, verbatimModuleSyntax,
// noFallthroughCasesInSwitch) and review already cover.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "results/**", ".scratch/**", "test/fixtures/**", "**/*.js", "**/*.mjs"] },
  {
    files: ["**/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ["./tsconfig.test.json"], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      // Control characters in a regex are almost always a typo; the one place that means it says so.
      "no-control-regex": js.configs.recommended.rules["no-control-regex"],
      eqeqeq: ["error", "always", { null: "ignore" }],
      // An unawaited promise is a fault not rolled back, a server not closed, an error nobody sees.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // The harness throws HarnessError (a code, a message for users, an exit code); tests may throw
    // anything, and the systems under test (gateway, providers, embedded Toxiproxy) answer on the wire.
    files: ["harness/**/*.ts", "faults/**/*.ts", "reports/**/*.ts"],
    ignores: ["harness/reference/gateway/**", "harness/reference/providers/**", "harness/reference/toxiproxy/**"],
    rules: {
      "no-restricted-syntax": ["error", { selector: "ThrowStatement > NewExpression[callee.name='Error']", message: "throw a HarnessError from harness/base/errors.ts (its code and exit code), not a bare Error" }],
    },
  },
);
