import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IngestService } from '../ingest/ingest.service';
import { sdkSettings } from '../ingest/sdk-settings';

/**
 * The settings the Segment SDKs fetch from their CDN host, so that this service can be
 * their CDN host too (analytics.js 2.0's `cdnURL` or snippet `_cdn`, the mobile SDKs' `cdnHost`).
 */
@ApiTags('ingest')
@Controller('v1/projects')
export class SdkSettingsController {
  constructor(private readonly ingest: IngestService) {}

  @Get(':writeKey/settings')
  @ApiOperation({ summary: "A Segment SDK's source settings: this service as the only destination, the SDK's own apiHost kept" })
  @ApiParam({ name: 'writeKey', description: 'one of SEGMENT_WRITE_KEYS (any key when none is configured)' })
  @ApiResponse({ status: 200, description: '{"integrations": {"Segment.io": {"apiKey": "<writeKey>"}}, "plan", "metrics": {"sampleRate": 0}, …}' })
  @ApiResponse({ status: 404, description: 'not a configured write key' })
  settings(@Param('writeKey') writeKey: string) {
    if (!this.ingest.acceptsWriteKey(writeKey)) throw new NotFoundException('no source has that write key');
    return sdkSettings(writeKey);
  }
}
