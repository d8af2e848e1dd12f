import { defineErrors } from '@emporium/kit';

/** The gateway's own error codes, each with its HTTP status. */
export const gatewayErrors = defineErrors({
  GATEWAY_OVERLOADED: { status: 503, title: 'The gateway is overloaded' },
});
