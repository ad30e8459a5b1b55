import type { Express } from 'express';
export function check(app: Express, authorization: string, wrongAuthorization: string): Promise<void>;
