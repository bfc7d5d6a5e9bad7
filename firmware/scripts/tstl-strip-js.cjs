// typescript-to-lua plugin: resolve ESM-style `./module.js` specifiers to their `.ts` sources
// (the core uses NodeNext-style imports so the same files also build for Node).
const path = require('node:path');

module.exports = {
  moduleResolution(id, requiringFile) {
    if (id.startsWith('.') && id.endsWith('.js')) {
      return path.resolve(path.dirname(requiringFile), `${id.slice(0, -3)}.ts`);
    }
    return undefined;
  },
};
