import { buildWeb } from './web.ts';

// `npm run build:web`: builds web/dist whether or not it is current.
await buildWeb();
process.stderr.write('Built web/dist.\n');
