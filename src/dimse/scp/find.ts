/**
 * Query/Retrieve C-FIND SCP (PS3.4 C.4.1) at the Patient Root and Study Root information
 * models, answered by the QIDO-RS search service (services/search.ts): same compiler, same
 * patient scope and the same 110112 Query audit record (one per page of matches searched).
 * Matches stream out as pending responses (FF00); C-CANCEL stops them (FE00).
 */
import { setImmediate } from 'node:timers/promises';
import type { DicomJsonDataset } from '../../dicom/json/types.js';
import { CFindResponse, Status, type CFindRequest, type DimseResponse } from '../library.js';
import { findQuery, IdentifierError, MODEL_LEVELS, type FindQuery } from './find-query.js';
import { responseIdentifier } from './find-response.js';
import { uncompressedSyntax, type AssociationContext, type ScpService } from './service.js';
import dcmjsDimse from 'dcmjs-dimse';

/** PS3.4 C.6: the FIND SOP classes. */
export const PATIENT_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';
export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

/** Asks for more than any configured page: the search service caps it at QIDO_MAX_LIMIT. */
const PAGE = '1000000';

export const findService: ScpService = {
  name: 'find',
  handles: (uid) => uid === PATIENT_ROOT_FIND || uid === STUDY_ROOT_FIND,
  transferSyntax: uncompressedSyntax,

  async cFind(context, request, respond, cancelled) {
    const levels =
      request.getAffectedSopClassUid() === PATIENT_ROOT_FIND
        ? MODEL_LEVELS.patientRoot
        : MODEL_LEVELS.studyRoot;
    let query: FindQuery;
    try {
      query = findQuery(request.getDataset()?.getElements() ?? {}, levels);
    } catch (error) {
      if (!(error instanceof IdentifierError)) throw error;
      return respond(final(request, Status.IdentifierDoesNotMatch, error.message));
    }
    try {
      const matches = query.level === 'PATIENT' ? patients(context, query) : search(context, query);
      for await (const identifier of matches) {
        if (cancelled.aborted) break;
        const pending = CFindResponse.fromRequest(request);
        pending.setStatus(Status.Pending);
        pending.setDataset(new dcmjsDimse.Dataset(identifier));
        respond(pending);
        // Lets a C-CANCEL (and other associations) in between two matches.
        await setImmediate();
      }
    } catch (error) {
      // The query is the peer's mistake (a value QIDO refuses) or the index is down.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('qido.')) {
        return respond(final(request, Status.IdentifierDoesNotMatch, code));
      }
      context.log.error('dimse find failed', { association: context.id, error });
      return respond(final(request, Status.FindOutOfResources, 'search unavailable'));
    }
    if (context.signal.aborted) return;
    respond(final(request, cancelled.aborted ? Status.Cancel : Status.Success));
  },
};

function final(request: CFindRequest, status: number, comment?: string): DimseResponse {
  const response = CFindResponse.fromRequest(request);
  response.setStatus(status);
  if (comment !== undefined) response.setErrorComment(comment.slice(0, 64));
  return response;
}

/** Every match, page by page, as response identifiers. */
async function* search(
  context: AssociationContext,
  query: FindQuery,
): AsyncGenerator<Record<string, unknown>> {
  for await (const match of matches(context, query)) {
    yield responseIdentifier(match, query.level, query.keys);
  }
}

async function* matches(
  context: AssociationContext,
  query: FindQuery,
): AsyncGenerator<DicomJsonDataset> {
  let offset = 0;
  for (;;) {
    const page = await context.services.search.search({
      resource: { level: query.resource },
      params: [...query.params, ['limit', PAGE], ['offset', String(offset)]],
      retrieveBase: '',
      actor: context.actor,
    });
    yield* page.datasets;
    if (page.remaining === 0 || page.datasets.length === 0 || context.signal.aborted) return;
    offset = page.nextOffset;
  }
}

/**
 * PATIENT level: the index has no patient table of its own, so patients are the distinct
 * PatientIDs (with their issuer) of the matching studies, each answered once with the keys of
 * its first study and NumberOfPatientRelatedStudies counted over the matches.
 */
async function* patients(
  context: AssociationContext,
  query: FindQuery,
): AsyncGenerator<Record<string, unknown>> {
  const seen = new Map<string, { first: DicomJsonDataset; studies: number }>();
  for await (const match of matches(context, { ...query, params: withPatientKeys(query) })) {
    const first = (tag: '00100020' | '00100021') => {
      const value = match[tag]?.Value?.[0];
      return typeof value === 'string' ? value : '';
    };
    const id = `${first('00100020')}\\${first('00100021')}`;
    const entry = seen.get(id);
    if (entry) entry.studies++;
    else seen.set(id, { first: match, studies: 1 });
  }
  for (const { first, studies } of seen.values()) {
    yield responseIdentifier(first, 'PATIENT', query.keys, {
      ...(query.keys.includes('NumberOfPatientRelatedStudies')
        ? { NumberOfPatientRelatedStudies: studies }
        : {}),
    });
  }
}

/** The patient's identity is needed to group studies, whether or not it was asked for. */
function withPatientKeys(query: FindQuery): [string, string][] {
  const params = query.params.filter(
    ([key, value]) => !(key === 'includefield' && value === 'NumberOfPatientRelatedStudies'),
  );
  return [...params, ['includefield', 'PatientID'], ['includefield', 'IssuerOfPatientID']];
}
