#!/usr/bin/env node
// Entry point of the `tipstream` command: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

// package.json's engines, said in plain words: Node 20 is past its end of life, and parts of the
// dependency tree declare Node 22.19 or newer.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`tipstream: warning: Node.js ${process.version} is not supported; use 22.19 or newer (see the README, Requirements)\n`);
}

register();
await import('./tipstream.ts');
