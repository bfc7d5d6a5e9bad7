/** @tibillet/gateway: the venue server. */

export { decide } from './authorizer/authorizer.js';
export { CardBook } from './authorizer/card-book.js';
export { splitPayment } from './authorizer/payment.js';
export { priceCart } from './authorizer/pricing.js';
export { canPublish, canSubscribe, GATEWAY_USER, mosquittoAcl } from './broker/acl.js';
export { passwordLine, writeMosquittoConfig } from './broker/mosquitto-config.js';
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { Journal } from './journal/journal.js';
export { defaultVenueConfig, type PointOfSale, type Product, type VenueConfig } from './venue-config.js';
export const GATEWAY_VERSION = '0.1.0';
