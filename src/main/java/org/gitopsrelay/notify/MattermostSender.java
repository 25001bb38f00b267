package org.gitopsrelay.notify;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.shared.Backoff;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;

/**
 * Makes the Mattermost calls, each retried with exponential back-off and jitter on a server error, a time-out or an
 * unreachable server, and after the wait the server asks for on 429 ({@code Retry-After}, {@code X-Ratelimit-*}).
 * When the budget ({@code relay.mattermost.attempts}) is spent, or the server refuses the call outright (4xx), it
 * throws, and the notifier dead-letters the notification. Neither a webhook URL nor the token is ever logged.
 */
@ApplicationScoped
public class MattermostSender {

    public static final String SINK_API = "mattermost-api";
    public static final String SINK_WEBHOOK = "mattermost-webhook";
    private static final Logger LOG = Logger.getLogger(MattermostSender.class);

    private final RelayConfig.Mattermost config;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final Map<String, MattermostApi> apis = new ConcurrentHashMap<>();
    private final Map<String, MattermostWebhook> webhooks = new ConcurrentHashMap<>();
    /** When Mattermost said no request is left, nothing is sent before this time. */
    private volatile Instant pausedUntil = Instant.EPOCH;

    @Inject
    public MattermostSender(RelayConfig config, MeterRegistry metrics, Clock clock) {
        this.config = config.mattermost();
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Posts to a channel (or, with {@code rootId}, replies in a thread) through the REST API; returns the post id. */
    public String createPost(String channelId, String rootId, Message message, String eventId) {
        MattermostApi api = api();
        var post = new MattermostApi.Post(channelId, message.headline(), rootId, MattermostApi.props(message,
                eventId));
        Response response = call(SINK_API, "post to channel " + channelId, () -> api.createPost(bearer(), post));
        JsonNode created;
        try {
            created = response.readEntity(JsonNode.class);
        } catch (ProcessingException | IllegalStateException e) {
            // A proxy's login page or any answer that is not a post: the post's fate is unknown, so say it.
            throw new RelayException(Reason.NOTIFICATION_REFUSED, "Mattermost answered the post to channel "
                    + channelId + " with something that is not a post (HTTP " + response.getStatus() + ", "
                    + response.getMediaType() + ")");
        }
        String id = created == null ? null : created.path("id").asText(null);
        if (id == null || id.isBlank()) {
            throw new RelayException(Reason.NOTIFICATION_REFUSED, "Mattermost answered a post without its id");
        }
        return id;
    }

    /** Edits a thread's root post to show the current state. */
    public void patchPost(String postId, Message message, String eventId) {
        MattermostApi api = api();
        var patch = new MattermostApi.Patch(message.headline(), MattermostApi.props(message, eventId));
        call(SINK_API, "edit post " + postId, () -> api.patchPost(bearer(), postId, patch)).close();
    }

    /** Posts through an incoming webhook; {@code url} is a secret and never appears in a log line or an error. */
    public void postWebhook(String url, Message message, String eventId) {
        MattermostWebhook webhook = webhooks.computeIfAbsent(url, u -> build(u, MattermostWebhook.class));
        var body = MattermostWebhook.Body.of(message, config.username(), eventId);
        call(SINK_WEBHOOK, "post to the incoming webhook on " + hostOf(url), () -> webhook.post(body)).close();
    }

    private Response call(String sink, String what, Supplier<Response> request) {
        int attempts = config.attempts();
        for (int attempt = 1;; attempt++) {
            waitForRateLimit();
            Timer.Sample sample = Timer.start(metrics);
            String retryReason;
            Optional<Duration> asked = Optional.empty();
            String detail;
            try {
                Response response = send(request);
                int status = response.getStatus();
                rememberRateLimit(response);
                if (status >= 200 && status < 300) {
                    sample.stop(metrics.timer(RelayMetrics.NOTIFICATION_CALLS, "sink", sink, "outcome", "ok"));
                    return response;
                }
                sample.stop(metrics.timer(RelayMetrics.NOTIFICATION_CALLS, "sink", sink, "outcome", "http-" + status));
                detail = "HTTP " + status;
                response.close();
                if (status == 429) {
                    retryReason = "rate-limited";
                    asked = RetryDelay.serverAsked(response::getHeaderString, clock.instant());
                } else if (status >= 500 || status == 408) {
                    retryReason = "server-error";
                } else {
                    throw new RelayException(Reason.NOTIFICATION_REFUSED, "Mattermost refused the " + what + ": "
                            + detail + " (check the token, the channel id or the webhook)");
                }
            } catch (ProcessingException e) {
                sample.stop(metrics.timer(RelayMetrics.NOTIFICATION_CALLS, "sink", sink, "outcome", "no-answer"));
                retryReason = isTimeout(e) ? "timeout" : "unreachable";
                detail = retryReason;
            }
            int tried = attempt;
            Duration wait = asked.orElseGet(() -> Backoff.jittered(tried, config.backoff(), config.maxBackoff(),
                    ThreadLocalRandom.current().nextDouble()));
            if (attempt >= attempts || wait.compareTo(config.maxBackoff()) > 0) {
                throw new RelayException(Reason.NOTIFICATION_UNDELIVERED, "Mattermost did not take the " + what
                        + " after " + attempt + " attempt(s), last: " + detail + (wait.compareTo(config.maxBackoff()) > 0
                                ? " and it asked to wait " + wait.toSeconds() + " s, more than relay.mattermost.max-backoff"
                                : ""));
            }
            metrics.counter(RelayMetrics.NOTIFICATION_RETRIES, "sink", sink, "reason", retryReason).increment();
            LOG.warnf("Mattermost %s failed (%s, attempt %d of %d); retrying in %d ms", what, detail, attempt,
                    attempts, wait.toMillis());
            sleep(wait);
        }
    }

    private static Response send(Supplier<Response> request) {
        try {
            return request.get();
        } catch (WebApplicationException e) {
            // The default exception mapper is off; this keeps working if a future client turns it back on.
            return e.getResponse();
        }
    }

    private void rememberRateLimit(Response response) {
        if ("0".equals(trimmed(response.getHeaderString("X-Ratelimit-Remaining")))) {
            RetryDelay.serverAsked(response::getHeaderString, clock.instant())
                    .ifPresent(wait -> pausedUntil = clock.instant().plus(wait));
        }
    }

    private void waitForRateLimit() {
        Duration wait = Duration.between(clock.instant(), pausedUntil);
        if (!wait.isNegative() && !wait.isZero()) {
            sleep(wait.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : wait);
        }
    }

    private static String trimmed(String value) {
        return value == null ? null : value.trim();
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof TimeoutException || cause instanceof java.net.SocketTimeoutException
                    || cause.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }

    private MattermostApi api() {
        String url = config.url().orElseThrow(() -> new IllegalStateException("relay.mattermost.url is not set"));
        return apis.computeIfAbsent(url, u -> build(u, MattermostApi.class));
    }

    private String bearer() {
        return "Bearer " + config.token().orElse("");
    }

    private <T> T build(String url, Class<T> type) {
        return QuarkusRestClientBuilder.newBuilder().baseUri(URI.create(url))
                .connectTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .property("microprofile.rest.client.disable.default.mapper", true)
                .build(type);
    }

    static String hostOf(String url) {
        try {
            String host = URI.create(url).getHost();
            return host == null ? "(unparsable URL)" : host;
        } catch (IllegalArgumentException e) {
            return "(unparsable URL)";
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RelayException(Reason.NOTIFICATION_UNDELIVERED, "Interrupted while waiting to retry", e);
        }
    }

    @PreDestroy
    void close() {
        apis.values().forEach(MattermostApi::close);
        webhooks.values().forEach(MattermostWebhook::close);
    }
}
