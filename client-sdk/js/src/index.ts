/**
 * @lilium/sdk — the LiliumShare client library for browsers (and Node ≥ 20 for everything but
 * media). Wire-compatible with the C# SDK (`client-sdk/Lilium.Client`); see docs/sdk-js.md.
 *
 * ```ts
 * import { LiliumIdentity, indexedDbIdentityStore, LiliumApiClient, SignalingClient, ChatClient, apiKeyLookup } from "@lilium/sdk";
 * const identity = await LiliumIdentity.loadOrCreate(indexedDbIdentityStore(), { backupPassword });
 * const api = new LiliumApiClient({ baseUrl: location.origin, identity });
 * await api.registerAndLogin("alice");
 * const signaling = await SignalingClient.connect({ url: wsUrl, accessToken: () => api.getAccessToken() });
 * const chat = new ChatClient({ signaling, identity, userId: api.userId!, lookupKey: apiKeyLookup(api) });
 * ```
 */

export * from "./errors.js";
export * from "./protocol.js";
export {
  toBase64, fromBase64, tryFromBase64, toHex, tryFromHex, utf8, fromUtf8, isUuid, uuidToBytes, uuidFromBytes,
} from "./encoding.js";
export { Emitter, type Unsubscribe } from "./events.js";
export { MemoryStore, IndexedDbStore, StorageUnavailableError, type KeyValueStore } from "./storage.js";
export {
  LiliumIdentity, KeyValueIdentityStore, indexedDbIdentityStore, memoryIdentityStore, fingerprintOf, verifySignature,
  parseBackup, pemToPkcs8, pkcs8ToPem, BACKUP_ITERATIONS, BACKUP_FORMAT,
  type IdentityStore, type StoredIdentity, type IdentityOptions, type IdentityBackup,
} from "./identity.js";
export { LiliumApiClient, type LiliumApiClientOptions, type FetchLike, type RelayGrantOptions, type RelayStartProgress } from "./api.js";
export { followRelay, watchMediaFlow, type RelayFollowHandlers, type MediaFlowOptions } from "./relay-follow.js";
export {
  SignalingClient,
  type SignalingClientOptions, type SignalingEvents, type SignalingState, type SignalingStateChange, type WebSocketLike, type WebSocketConstructor,
} from "./signaling.js";
export {
  ChatClient, ChatSession, PendingChatHandshake, ChatPayloadType, KeyValuePinStore, indexedDbPinStore, checkPinnedKey, apiKeyLookup,
  respondToHello, helloTranscript, ackTranscript, encodeHandshake, parseHandshake, chatConcat, deriveChatKeys, messageSessionId, CHAT_VERSION,
  type ChatClientOptions, type ChatEvents, type ChatMessage, type ChatSendResult, type ChatRejection, type ChatHandshake,
  type ChatOpenResult, type ChatParty, type KeyPinStore, type PinnedKey,
} from "./chat.js";
export {
  publish, subscribe, setLowLatency, MediaPublisher, MediaViewer, RelayResource, SIMULCAST_LAYERS,
  type RelayConnectOptions, type PublishOptions, type SubscribeOptions, type PublisherEvents, type ViewerEvents,
} from "./media.js";
export * from "./input.js";
