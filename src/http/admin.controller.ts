import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, NotFoundException, Query, UnauthorizedException } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REJECTION_LOG, RejectionLog } from '../ingest/rejection-log';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Operator endpoints behind ADMIN_TOKEN (Bearer); absent when no token is configured. */
@ApiTags('operations')
@ApiBearerAuth('admin')
@Controller('v1')
export class AdminController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REJECTION_LOG) private readonly rejections: RejectionLog,
  ) {}

  private authorize(authorization: string | undefined): void {
    const token = this.config.adminToken;
    if (token === undefined) throw new NotFoundException('admin endpoints are off: set ADMIN_TOKEN to enable them');
    const given = /^bearer\s+(.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(token), digest(given))) throw new UnauthorizedException('a valid admin token is required (Authorization: Bearer …)');
  }

  @Get('rejections')
  @ApiOperation({ summary: 'Refused messages: counts by code and the most recent, with payloads' })
  list(@Headers('authorization') authorization?: string, @Query('limit') limit = '100') {
    this.authorize(authorization);
    const n = Math.min(Math.max(Number.parseInt(limit, 10) || 100, 1), 1000);
    return { counts: this.rejections.counts(), recent: this.rejections.recent(n) };
  }
}
