export * from './databases.ts';
export * from './tokens.ts';
