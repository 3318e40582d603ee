import { Type } from '@sinclair/typebox';
import { ErrorBody, errorResponses } from '../../schemas.ts';

export const bulkErrors = {
  ...errorResponses,
  406: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  416: ErrorBody,
  507: ErrorBody,
};

export const HubParam = Type.Object({ hub: Type.String() });
export const JobParams = Type.Object({ hub: Type.String(), id: Type.Integer({ minimum: 1 }) });

export const Created = Type.Object({ id: Type.Integer(), status: Type.String() }, { additionalProperties: true });

export const StatusObject = Type.Object(
  {
    id: Type.Integer(),
    status: Type.String(),
    recordsCount: Type.Integer(),
    recordsFailedCount: Type.Integer(),
    object_name: Type.String(),
    job_direction: Type.String(),
    bulk_start_time: Type.Union([Type.String(), Type.Null()]),
    bulk_finish_time: Type.Union([Type.String(), Type.Null()]),
    fileFormat: Type.String(),
    fileSize: Type.Integer(),
    instanceId: Type.Integer(),
    infoMessage: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);

export const RecordError = Type.Object(
  {
    recordIndex: Type.Integer(),
    record: Type.Unknown(),
    status: Type.Integer(),
    message: Type.String(),
    providerMessage: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);
