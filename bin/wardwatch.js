#!/usr/bin/env node
// First, before anything else is loaded: the V8 settings Wardwatch runs with (see src/runtime/heap-tuning.ts).
import '../dist/src/runtime/heap-tuning.js';
import '../dist/src/cli.js';
