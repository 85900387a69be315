import { BrazeRequest } from '../engine';
import { BrazeReply } from './braze-response';

/** Sends one request to Braze (or pretends to). Never throws: failures are replies. */
export interface BrazeSender {
  readonly dryRun: boolean;
  send(request: BrazeRequest): Promise<BrazeReply>;
}

export const BRAZE_SENDER = Symbol('BrazeSender');
