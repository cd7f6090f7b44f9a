/**
 * Every error the SDK raises on purpose derives from {@link LiliumError}; apps branch on the class
 * (or on `code`) rather than on message text. Mirrors `Lilium.Client`'s exceptions (Errors.cs).
 */

/** The base of every error the SDK raises on purpose. */
export class LiliumError extends Error {
  /** Creates an error with a message and an optional cause. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A service endpoint (API, WebSocket or relay) could not be reached at all. C#: `LiliumUnavailableException`. */
export class LiliumUnavailableError extends LiliumError {}

/** The media relay cannot be reached, or ICE/DTLS did not complete. C#: `RelayUnavailableException`. */
export class RelayUnavailableError extends LiliumUnavailableError {}

/** An RFC 9457 problem details document as the API sends it (plus its machine-readable `code`). */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  /** The machine-readable code from the shared error table ({@link ErrorCode}), e.g. `not-friends`. */
  code?: string;
  [extension: string]: unknown;
}

/**
 * A service answered with an RFC 9457 problem. `code` is the problem's `code` member, else the
 * last segment of its `type`, else derived from the status (`unauthorized`, `forbidden`,
 * `not-found`, `conflict`, `rate-limited`, `http-<status>`), exactly as the C# SDK reads it.
 * C#: `LiliumProblemException`.
 */
export class LiliumProblemError extends LiliumError {
  /** The HTTP status. */
  readonly status: number;
  /** The machine-readable problem code. */
  readonly code: string;
  /** The problem document, when the body was one. */
  readonly problem: ProblemDetails | null;
  /** Seconds from a `Retry-After` header, when present. */
  readonly retryAfter: number | null;

  /** Creates an error from a problem's parts. */
  constructor(status: number, code: string, message: string, problem: ProblemDetails | null = null, retryAfter: number | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** Reads a failed response's body as a problem (never throws on a hostile body). */
  static fromBody(status: number, body: string, fallbackTitle: string, retryAfter: string | null = null): LiliumProblemError {
    const { code, message, problem } = readProblem(status, body, fallbackTitle);
    const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null;
    return new this(status, code, message, problem, seconds);
  }
}

/** The relay refused an offer (bad or expired grant, no publisher yet, draining, bad SDP). C#: `RelayRejectedException`. */
export class RelayRejectedError extends LiliumProblemError {}

/** The signaling server answered a request with `error`. C#: `SignalingErrorException`. */
export class SignalingError extends LiliumError {
  /** The machine-readable code, e.g. `friend-offline` (docs/signaling.md lists them). */
  readonly code: string;
  /** Creates the error from the server's code and message. */
  constructor(code: string, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/** A request on the WebSocket got no reply in time. */
export class SignalingTimeoutError extends LiliumError {}

/**
 * A friend's identity key is not the one pinned on first use: either they reinstalled (a new key
 * pair) or someone is substituting keys. The app should show "this friend's key changed" with
 * both fingerprints and let the user decide ({@link KeyPinStore} `pin` to accept the new one).
 */
export class KeyChangedError extends LiliumError {
  /** The friend's user id. */
  readonly userId: string;
  /** Fingerprint (hex SHA-256 of SPKI) of the pinned key. */
  readonly pinnedFingerprint: string;
  /** Fingerprint of the key the API now reports. */
  readonly currentFingerprint: string;
  /** Creates the error. */
  constructor(userId: string, pinnedFingerprint: string, currentFingerprint: string) {
    super(`The identity key of user ${userId} changed (pinned ${pinnedFingerprint.slice(0, 16)}…, now ${currentFingerprint.slice(0, 16)}…). Compare fingerprints before trusting it.`);
    this.userId = userId;
    this.pinnedFingerprint = pinnedFingerprint;
    this.currentFingerprint = currentFingerprint;
  }
}

/** A password-protected identity backup could not be opened (wrong password or damaged file). */
export class BackupError extends LiliumError {}

function readProblem(status: number, body: string, fallbackTitle: string): { code: string; message: string; problem: ProblemDetails | null } {
  let code =
    status === 401 ? "unauthorized" :
    status === 403 ? "forbidden" :
    status === 404 ? "not-found" :
    status === 409 ? "conflict" :
    status === 429 ? "rate-limited" :
    `http-${status}`;
  let message = fallbackTitle;
  let problem: ProblemDetails | null = null;
  if (body.trim().length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      const root = parsed as Record<string, unknown>;
      problem = root as ProblemDetails;
      if (typeof root.code === "string") {
        code = root.code;
      } else if (typeof root.type === "string" && root.type.length > 0 && root.type !== "about:blank") {
        const t = root.type;
        code = t.slice(Math.max(t.lastIndexOf("/"), t.lastIndexOf(":")) + 1);
      }
      const title = typeof root.title === "string" ? root.title : null;
      const detail = typeof root.detail === "string" ? root.detail : null;
      message = title !== null && detail !== null ? `${title}: ${detail}` : title ?? detail ?? fallbackTitle;
    }
  }
  return { code, message: `${message} (HTTP ${status}, ${code})`, problem };
}
