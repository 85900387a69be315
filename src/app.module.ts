import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { MappingRegistry } from './mapping/mapping.registry';

export interface AppDependencies {
  readonly config: AppConfig;
  /** Loaded before Nest starts, so an invalid mapping set stops the boot with its diagnostics. */
  readonly mappings: MappingRegistry;
}

@Module({})
export class AppModule {
  static forRoot({ config, mappings }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: MappingRegistry, useValue: mappings },
      ],
      exports: [APP_CONFIG, MappingRegistry],
    };
  }
}
