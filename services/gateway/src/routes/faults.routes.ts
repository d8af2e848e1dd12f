import { Problem } from '@emporium/contracts/common';
import { FaultsAnswer, FaultsBody, faultProblems } from '@emporium/contracts/ops';
import { errors, faultsFromFlagd, faultsToFlagd, readFlagsFile, requireRole, writeFlagsFile, type FlagdFile, type ServiceApp, type TokenVerifier } from '@emporium/kit';

/** What the faults routes need: the flags file (FAULTS_FILE) and a verifier for admin tokens. */
export interface FaultsRoutesOptions {
  file: string | undefined;
  verifier: TokenVerifier;
}

/**
 * Reads and replaces the run-time faults: the gateway writes them as flagd flags to the faults
 * file, which every process of the platform watches (embedded: this one; distributed: every
 * replica on the machine). Admin only. Without FAULTS_FILE there is nowhere to write: 409.
 */
export async function faultsRoutes(app: ServiceApp, { file, verifier }: FaultsRoutesOptions): Promise<void> {
  const admin = requireRole(verifier, 'admin');

  const fileOrConflict = (): string => {
    if (!file) throw errors.CONFLICT('Faults are off: the gateway has no FAULTS_FILE to write them to. Start the platform with FAULTS_FILE set (npm start sets it to <DATA_DIR>/faults.flagd.json).');
    return file;
  };
  const read = async (path: string): Promise<FlagdFile> => {
    try {
      return await readFlagsFile(path);
    } catch (err) {
      throw errors.CONFLICT(`The faults file ${path} cannot be read as flagd flags (${(err as Error).message}); replace it with PUT, or fix it by hand.`);
    }
  };

  app.get('/api/v1/ops/faults', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'The run-time faults: which are on, where, and how strong',
      description: 'Read from the faults file (FAULTS_FILE). Flags written there by hand, without the gateway’s metadata, are not listed. 409 when the gateway has no FAULTS_FILE.',
      security: [{ bearer: [] }],
      response: { 200: FaultsAnswer, 401: Problem, 403: Problem, 409: Problem },
    },
  }, async () => {
    const path = fileOrConflict();
    return { file: path, faults: faultsFromFlagd(await read(path)) };
  });

  app.put('/api/v1/ops/faults', {
    onRequest: admin,
    schema: {
      tags: ['ops'],
      summary: 'Replaces the run-time faults',
      description:
        'Writes the faults as flagd flags to the faults file, atomically; every process watching it applies them within FAULTS_POLL_MS. ' +
        'A fault that is not enabled stays listed but does nothing. An empty list switches every fault off. ' +
        'A crash fault ends the process it aims at (in embedded mode, the whole platform). 409 when the gateway has no FAULTS_FILE.',
      security: [{ bearer: [] }],
      body: FaultsBody,
      response: { 200: FaultsAnswer, 400: Problem, 401: Problem, 403: Problem, 409: Problem },
    },
  }, async (request) => {
    const found = faultProblems(request.body.faults);
    if (found.length) throw errors.VALIDATION_FAILED(`The request is not valid: ${found.map((f) => `${f.path} ${f.message}`).join('; ')}.`, { errors: found });
    const path = fileOrConflict();
    // Flags of the file that are not faults are kept; a file that does not parse is replaced.
    const previous = await readFlagsFile(path).catch(() => undefined);
    await writeFlagsFile(path, faultsToFlagd(request.body.faults, previous));
    request.log.info({ faults: request.body.faults.filter((f) => f.enabled).length, file: path }, 'faults replaced');
    return { file: path, faults: request.body.faults };
  });
}
