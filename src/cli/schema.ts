/**
 * `wardwatch schema`: print the JSON Schema of the configuration file, generated from the same
 * zod schema that validates it (for editors that complete and check YAML as you type).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { CONNECTOR_MODULES } from '../../connectors/index.js';
import { ConfigSchema } from '../config/schema.js';
import { processOutput, type CommandOutput } from './output.js';

/** The configuration's JSON Schema: fields with defaults are optional, as they are in the file. */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12' });
  // `connectors.<name>` is checked by each connector's own schema: described here from the same ones.
  const connectors: NonNullable<typeof generated.properties> = {};
  for (const m of CONNECTOR_MODULES) {
    const { $schema: _dialect, ...section } = z.toJSONSchema(m.configSchema, { io: 'input', target: 'draft-2020-12' });
    connectors[m.name] = { description: `The ${m.title} connector.`, ...section };
  }
  const properties = generated.properties;
  if (properties !== undefined) properties['connectors'] = { type: 'object', properties: connectors, additionalProperties: false };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Wardwatch council configuration',
    description: "A council's Wardwatch configuration: its people, wards, elections, sources and how its Member/Officer Protocol is kept.",
    ...generated,
  };
}

export function runSchema(output: CommandOutput = processOutput): number {
  output.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of the configuration file')
    .action(() => {
      process.exitCode = runSchema(processOutput);
    });
}
