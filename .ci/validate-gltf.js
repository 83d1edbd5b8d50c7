// Validates a glTF/GLB file with the Khronos glTF validator (installed by .ci/run
// into .ci/node_modules); prints the issue counts and messages as JSON and exits
// non-zero when the validator reports errors.
const fs = require("fs");
const validator = require("gltf-validator");

const path = process.argv[2];
validator
  .validateBytes(new Uint8Array(fs.readFileSync(path)))
  .then((report) => {
    const issues = report.issues;
    console.log(JSON.stringify({
      numErrors: issues.numErrors,
      numWarnings: issues.numWarnings,
      messages: issues.messages.slice(0, 20),
    }));
    process.exit(issues.numErrors === 0 ? 0 : 1);
  })
  .catch((e) => {
    console.error(String(e));
    process.exit(2);
  });
