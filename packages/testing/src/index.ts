export * from './databases.ts';
export * from './tokens.ts';
export * from './otlp.ts';
export * from './events.ts';
export * from './service.ts';
