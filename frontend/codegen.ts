// Operation types come from the server's committed schema snapshot and the
// documents in src/graphql: `npm run codegen` (every build and test runs it).
import type { CodegenConfig } from '@graphql-codegen/cli'

const config: CodegenConfig = {
  schema: '../graph/schema.graphql',
  documents: 'src/graphql/**/*.graphql',
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: false },
        nonOptionalTypename: true,
        scalars: { DateTime: 'string', ID: 'string' },
      },
    },
  },
  hooks: {},
  silent: true,
}

export default config
