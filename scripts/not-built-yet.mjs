// Placeholder for an npm script whose issue has not landed: says so and fails, never a fake success.
const script = process.argv[2] ?? 'this command';
console.error(`chorus: \`npm run ${script}\` is not built yet (see the README's "Not built yet" list).`);
process.exit(1);
