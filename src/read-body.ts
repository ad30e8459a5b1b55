// Parses a JSON or urlencoded body when the app has not, so that `group_id` can be read from it.
import bodyParser from 'body-parser';
import type { Request, RequestHandler, Response } from 'express';
import { BodyTooLargeError, InvalidBodyError, type TwakeAuthError } from './errors';

/** Reads the body into `req.body` unless the app already did; resolves the refusal a bad body deserves. */
export type BodyReader = (req: Request, res: Response) => Promise<TwakeAuthError | null>;

function run(parser: RequestHandler, req: Request, res: Response): Promise<unknown> {
  return new Promise((resolve) => {
    parser(req, res, (error?: unknown) => resolve(error));
  });
}

/** Creates a body reader with a size limit (bytes, or a string such as `100kb`). */
export function createBodyReader(limit: number | string): BodyReader {
  // extended: false keeps `group_id[]=x` as a key of its own, which extractGroupId refuses.
  const parsers = [bodyParser.json({ limit }), bodyParser.urlencoded({ limit, extended: false })];
  return async (req, res) => {
    if (req.body !== undefined) return null;
    for (const parser of parsers) {
      const error = await run(parser, req, res);
      if (error !== undefined && error !== null) {
        const type = (error as { type?: unknown }).type;
        return type === 'entity.too.large' ? new BodyTooLargeError() : new InvalidBodyError();
      }
      if (req.body !== undefined) return null;
    }
    return null;
  };
}
