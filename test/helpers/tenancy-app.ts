// Builds Express 4 or 5 apps with the validator between any body parsers, and a handler that reads the company as a backend would.
import express4 from 'express4';
import express5, { type Request, type Response } from 'express';
import { parse as parseQueryString } from 'node:querystring';
import { twakeAuthErrorHandler, type TwakeAppAuthOptions } from '../../src';
import { validatorHandlers } from './create-server';

/** Body parsers an app may mount, by the name of what they accept. */
export type ParserName = 'json' | 'json+vnd' | 'urlencoded' | 'urlencoded-extended' | 'text' | 'raw';

export interface TenancyVariant {
  express: 4 | 5;
  integration: 'middleware' | 'passport';
  before?: readonly ParserName[];
  after?: readonly ParserName[];
  queryParser?: 'simple' | 'extended';
}

type App = ReturnType<typeof express5>;
type ExpressModule = typeof express5;

function parser(express: ExpressModule, name: ParserName) {
  switch (name) {
    case 'json':
      return express.json();
    case 'json+vnd':
      return express.json({ type: ['application/json', 'application/*+json'] });
    case 'urlencoded':
      return express.urlencoded({ extended: false });
    case 'urlencoded-extended':
      return express.urlencoded({ extended: true });
    case 'text':
      return express.text({ type: '*/*' });
    case 'raw':
      return express.raw({ type: '*/*' });
  }
}

// How a backend written like Twake's finds the company: every group_id it can get at, body and query.
export function companiesSeenByHandler(req: Request): unknown[] {
  const seen: unknown[] = [];
  let body: unknown = req.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString();
    try {
      body = (req.get('content-type') ?? '').includes('urlencoded') ? parseQueryString(text) : JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (body !== null && typeof body === 'object' && 'group_id' in body) seen.push((body as { group_id: unknown }).group_id);
  const query = req.query as Record<string, unknown> | undefined;
  if (query !== undefined && query.group_id !== undefined) seen.push(query.group_id);
  return seen;
}

/** An app whose `/api/v1/act` answers the checked company and every company the handler itself reads. */
export function createTenancyApp(options: TwakeAppAuthOptions, variant: TenancyVariant): App {
  const express = (variant.express === 4 ? express4 : express5) as unknown as ExpressModule;
  const app = express() as App;
  if (variant.queryParser !== undefined) app.set('query parser', variant.queryParser);
  for (const name of variant.before ?? []) app.use(parser(express, name));
  for (const handler of validatorHandlers(options, variant.integration)) app.use(handler);
  for (const name of variant.after ?? []) app.use(parser(express, name));
  app.all('/api/v1/act', (req: Request, res: Response) => {
    res.json({ checked: req.twake?.companyId ?? null, seen: companiesSeenByHandler(req) });
  });
  app.use(twakeAuthErrorHandler());
  return app;
}
