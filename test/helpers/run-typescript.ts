/**
 * `node` arguments that run a TypeScript entry file without a build: a
 * `require` hook transpiles each .ts file on load (types erased, no checking:
 * tsc and ts-jest check them), which is what ts-jest does inside jest. Why not
 * `tsc` into a temp dir: it compiles all of src/ (~15 s) and stops on anyone's
 * half-written file. Why not ts-node: not installed. It runs through `node -e`
 * so that no plain .js file sits outside the type-checked, linted tree.
 */
export function typescriptNodeArgs(entry: string): string[] {
  const hook = `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(${JSON.stringify(entry)});
`;
  return ['-e', hook];
}
