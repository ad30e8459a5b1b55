// `twake-app-auth keys list|rotate`: the keys that sign forward-auth's identity assertions.
import { SIGNING_ALGORITHMS, rotateSigningKeys, type SigningAlgorithm, type SigningKeyPrismaLike } from 'twake-app-auth/internal';
import { table, type Result } from '../output';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

function stateAt(row: { activeFrom: Date; retiresAt: Date | null }, now: number): string {
  if (row.retiresAt !== null && row.retiresAt.getTime() <= now) return 'retired';
  if (row.activeFrom.getTime() > now) return 'published, not signing yet';
  return row.retiresAt === null ? 'current' : 'published until retirement';
}

export async function listKeysCommand(prisma: SigningKeyPrismaLike): Promise<Result> {
  const rows = await prisma.signingKey.findMany({ orderBy: { activeFrom: 'asc' } });
  const now = Date.now();
  const keys = rows.map((row) => ({ id: row.id, algorithm: row.algorithm, activeFrom: iso(row.activeFrom), retiresAt: iso(row.retiresAt), state: stateAt(row, now) }));
  const human = keys.length === 0 ? ['No signing key yet: the server generates one at its first start.'] : keys.flatMap((key) => [key.id, ...table([['algorithm', key.algorithm], ['state', key.state], ['signs from', key.activeFrom ?? ''], ['retires at', key.retiresAt ?? 'never (current)']])]);
  return { json: { keys }, human };
}

/** Publication ahead of signing that lets every verifier learn the new key first (refresh 15 s + cool-down 30 s, with margin). */
const SAFE_ACTIVATION_SECONDS = 60;

export interface RotateInput {
  algorithm: SigningAlgorithm;
  activateInSeconds: number;
  graceSeconds: number;
}

export function parseAlgorithm(value: string | undefined): SigningAlgorithm | null {
  if (value === undefined) return 'EdDSA';
  return SIGNING_ALGORITHMS.includes(value as SigningAlgorithm) ? (value as SigningAlgorithm) : null;
}

export async function rotateKeysCommand(prisma: SigningKeyPrismaLike, input: RotateInput): Promise<Result> {
  const rotated = await rotateSigningKeys(prisma, input);
  // Verifiers refetch the key set on an unknown key id, but at most every 30 s (jose's cool-down).
  const warning =
    input.activateInSeconds < SAFE_ACTIVATION_SECONDS
      ? `signing in under ${SAFE_ACTIVATION_SECONDS} s, backends that fetched the key set in the last 30 s refuse the new key's assertions (403) until they fetch it again`
      : null;
  const json = {
    id: rotated.id,
    algorithm: input.algorithm,
    activeFrom: rotated.activeFrom.toISOString(),
    previousRetireAt: rotated.previousRetireAt.toISOString(),
    previousKeys: rotated.retired,
    ...(warning === null ? {} : { warning }),
  };
  return {
    json,
    human: [
      `New signing key ${rotated.id} (${input.algorithm}), published now, signing from ${json.activeFrom}.`,
      `${rotated.retired} previous key(s) stay published until ${json.previousRetireAt}.`,
      'Running servers pick the change up within SIGNING_KEYS_REFRESH_SECONDS.',
      ...(warning === null ? [] : [`Warning: ${warning}.`]),
    ],
  };
}
