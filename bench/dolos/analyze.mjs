// Dolos (the library @dodona/dolos-lib) on the files given, the release as its template:
//     node analyze.mjs OUT.json TEMPLATE FILE...
// writes [{"left": path, "right": path, "similarity": s}] for every pair of FILE (each a submission).
import { writeFileSync } from "node:fs";
import { Dolos } from "@dodona/dolos-lib";

const [out, template, ...files] = process.argv.slice(2);
const dolos = new Dolos({ language: "python" });
const report = await dolos.analyzePaths(files, template === "-" ? undefined : template);
const pairs = report.allPairs().map(pair => ({
  left: pair.leftFile.path, right: pair.rightFile.path, similarity: pair.similarity,
}));
writeFileSync(out, JSON.stringify(pairs));
console.log(`dolos: ${files.length} files, ${pairs.length} pairs`);
