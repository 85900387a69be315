import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceMarkdown, schemaJson } from './reference-docs';

const root = join(__dirname, '..', '..');
writeFileSync(join(root, 'mappings', 'schema.json'), schemaJson());
writeFileSync(join(root, 'docs', 'mapping-reference.md'), referenceMarkdown());
process.stdout.write('wrote mappings/schema.json and docs/mapping-reference.md\n');
