import { All, Controller, Headers, HttpCode, NotFoundException, Param, Post, Req } from '@nestjs/common';
import { IngestError } from '../ingest/ingest-error';
import { IngestResult, IngestService, IngestSource } from '../ingest/ingest.service';
import { MESSAGE_TYPES } from '../ingest/message-check';
import { PreviewService } from '../ingest/preview.service';
import { JsonRequest } from './json-body.middleware';

function reply(result: IngestResult) {
  return result.rejected.length > 0 ? { success: true, rejected: result.rejected } : { success: true };
}

/** Segment's HTTP tracking API, the webhook destination and the preview. Thin: the service decides. */
@Controller('v1')
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    private readonly previews: PreviewService,
  ) {}

  @Post('batch')
  @HttpCode(200)
  async batch(@Req() req: JsonRequest, @Headers('authorization') authorization?: string) {
    return reply(await this.ingest.ingest({ source: 'batch', body: req.json, rawBody: req.rawBody, authorization }));
  }

  @Post('preview')
  @HttpCode(200)
  preview(@Req() req: JsonRequest, @Headers('authorization') authorization?: string) {
    return this.previews.preview({ body: req.json, rawBody: req.rawBody, authorization });
  }

  @All('webhook')
  @HttpCode(200)
  async webhook(@Req() req: JsonRequest, @Headers('authorization') authorization?: string, @Headers('x-signature') signature?: string) {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method)) throw new IngestError(400, 'INVALID_BODY', 'the webhook takes POST, PUT or PATCH');
    return reply(await this.ingest.ingest({ source: 'webhook', body: req.json, rawBody: req.rawBody, authorization, signature }));
  }

  @Post(':type')
  @HttpCode(200)
  async single(@Param('type') type: string, @Req() req: JsonRequest, @Headers('authorization') authorization?: string) {
    if (!(MESSAGE_TYPES as readonly string[]).includes(type)) throw new NotFoundException(`no endpoint POST /v1/${type.slice(0, 40)}`);
    return reply(await this.ingest.ingest({ source: type as IngestSource, body: req.json, rawBody: req.rawBody, authorization }));
  }
}
