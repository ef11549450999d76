// The names of the listeners a sidecar's flags open (sidecar-resources.ts). Apart from the resources
// themselves, so that the proxy core can recognise the inbound listener without loading protobuf.
export const OUTBOUND_LISTENER = 'sidecar-outbound';
export const INBOUND_LISTENER = 'sidecar-inbound';
