// The application as Twake's `GET /api/console/v1/me` answers it (getApplicationObject), without secrets.
import type { ApplicationRecord } from '../core/types';

/** Twake's `ApplicationObject`, with the fields this service knows and Twake's empty defaults for the rest. @public */
export interface TwakeApplicationObject {
  id: string;
  company_id: string | null;
  is_default: boolean;
  identity: { code: string; name: string; icon: string; description: string; website: string; categories: string[]; compatibility: 'twake'[] };
  access: { read: string[]; write: string[]; delete: string[]; hooks: string[] };
  display: Record<string, never>;
  publication: { published: boolean; requested: boolean };
  /** Twake's `api`, without `private_key`: never answered. */
  api: { hooks_url: string; allowed_ips: string };
}

// Twake's identity.code is a lower-case slug of the name.
const codeOf = (name: string): string =>
  name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((part) => part !== '')
    .join('_');

/** Shapes `record` as Twake's application object. The key digests never leave the record. */
export function applicationObject(record: ApplicationRecord): TwakeApplicationObject {
  return {
    id: record.publicId,
    company_id: null,
    is_default: false,
    identity: { code: codeOf(record.name), name: record.name, icon: '', description: '', website: '', categories: [], compatibility: ['twake'] },
    access: { read: [], write: [], delete: [], hooks: [] },
    display: {},
    publication: { published: false, requested: false },
    api: { hooks_url: '', allowed_ips: (record.allowedIps ?? []).join(',') },
  };
}
