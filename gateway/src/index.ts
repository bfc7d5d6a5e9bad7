/** @tibillet/gateway: the venue server. */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { defaultVenueConfig, type VenueConfig, type PointOfSale, type Product } from './venue-config.js';
export { writeMosquittoConfig, passwordLine } from './broker/mosquitto-config.js';
export { canPublish, canSubscribe, mosquittoAcl, GATEWAY_USER } from './broker/acl.js';
export { Journal } from './journal/journal.js';
export { decide } from './authorizer/authorizer.js';
export { splitPayment } from './authorizer/payment.js';
export { priceCart } from './authorizer/pricing.js';
export { CardBook } from './authorizer/card-book.js';
export const GATEWAY_VERSION = '0.1.0';
