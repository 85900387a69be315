import { BrazeRequest } from '../engine';
import { BrazeReply } from './braze-response';
import { BrazeSender } from './braze-sender';

/**
 * Without BRAZE_REST_ENDPOINT/BRAZE_API_KEY: requests are built exactly as they would be
 * sent, kept for inspection, and answered as Braze would answer a success.
 */
export class DryRunSender implements BrazeSender {
  readonly dryRun = true;

  constructor(private readonly keep: (request: BrazeRequest) => Promise<void>) {}

  async send(request: BrazeRequest): Promise<BrazeReply> {
    await this.keep(request);
    const counts: Record<string, unknown> = { message: 'success (dry-run: not sent)' };
    for (const [key, value] of Object.entries(request.body)) if (Array.isArray(value)) counts[`${key}_processed`] = value.length;
    return { status: 201, headers: {}, body: counts };
  }
}
