package org.gitopsrelay.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Every setting of gitops-relay: prefix {@code relay.}, each settable as {@code RELAY_...}. */
@ConfigMapping(prefix = "relay")
public interface RelayConfig {

    /** Local state: the embedded broker's log, the GitOps cache and, with no remote, the GitOps repository. */
    @WithDefault("./data")
    Path dataDir();

    Webhook webhook();

    GitOps gitops();

    Render render();

    Kafka kafka();

    Previews previews();

    Api api();

    Mattermost mattermost();

    /**
     * The parts this process runs, any of {@code ingest}, {@code handlers}, {@code monitor}, {@code notifier}; one
     * image is deployed once per role and each scales on its own.
     */
    @WithDefault("ingest,handlers,monitor,notifier")
    String roles();

    /**
     * Notifications. With {@code url}, {@code token} and {@code channel-id} set, posts go through the REST API with a
     * bot account and each preview and production deployment gets one thread; else, with {@code webhook-url}, one
     * post per event through an incoming webhook; with neither, notifications go to the log.
     */
    interface Mattermost {
        /** Incoming webhook URL (a secret: it alone allows posting). */
        Optional<String> webhookUrl();

        /** Base URL of the Mattermost server, for the REST API. */
        Optional<String> url();

        /** The bot account's access token. */
        Optional<String> token();

        /** Channel of apps whose app.yaml names none. */
        Optional<String> channelId();

        /**
         * Incoming webhook URLs an app.yaml may name ({@code notifications.mattermost.webhook: <name>}), so that the
         * secret URL never lives in Git: {@code relay.mattermost.webhooks.<name>}.
         */
        java.util.Map<String, String> webhooks();

        /** Environments whose deployments each get a thread of their own (REST API mode); others get one post. */
        @WithDefault("production")
        java.util.List<String> threadedEnvironments();

        /** Tries per notification, first included, before it is dead-lettered. */
        @WithDefault("6")
        int attempts();

        /** First wait between tries; doubled each time, with jitter. */
        @WithDefault("PT1S")
        Duration backoff();

        /** Longest wait between tries; a Retry-After longer than this dead-letters the notification at once. */
        @WithDefault("PT60S")
        Duration maxBackoff();

        /** Connect and read time-out of each call. */
        @WithDefault("PT10S")
        Duration timeout();

        /** Name shown on incoming-webhook posts. */
        @WithDefault("gitops-relay")
        String username();
    }

    interface Previews {
        /** Domain of preview hosts ({@code <slug>.<app>.<domain>}) for apps whose app.yaml sets none. */
        @WithDefault("preview.localhost")
        String domain();

        /** How often expired previews are looked for and removed. */
        @WithDefault("PT5M")
        Duration sweepInterval();
    }

    interface Api {
        /**
         * The admin's bearer token of the {@code /api} endpoints (named {@code admin} in commits and events); with
         * neither it nor {@link #tokens()} set, every call is refused with 401.
         */
        Optional<String> token();

        /**
         * Named bearer tokens with a role: {@code relay.api.tokens.<name>.token} and {@code .role} (read, deploy,
         * admin). The name is who asked, in the commits and events of what the token did.
         */
        Map<String, NamedToken> tokens();

        interface NamedToken {
            /** At least 16 characters; no two names share one. */
            String token();

            ApiRole role();
        }
    }

    interface Webhook {
        /** Largest webhook body accepted, in bytes; larger bodies get 413. */
        @WithDefault("5242880")
        int maxBodyBytes();

        /**
         * How far a push or pull request time may lie ahead of the moment the relay received it; a time further
         * ahead is taken as that moment, so that a forged or skewed time cannot make every later change stale.
         */
        @WithDefault("PT5M")
        Duration maxClockSkew();

        /**
         * How long a delivery the app registry does not route (a repository or ref no app follows yet) waits for
         * the registry's refresh from the GitOps remote; a refresh still running then answers 503 with Retry-After.
         * Well under GitHub's 10 s, which must also cover {@code relay.kafka.send-timeout}.
         */
        @WithDefault("PT2S")
        Duration registryWait();

        Provider github();

        /** Reports of backup and restore jobs ({@code POST /webhooks/backup}), signed with their own secret. */
        Provider backup();

        interface Provider {
            /** Shared secret of the HMAC signature; unset means every delivery is refused with 401. */
            Optional<String> secret();
        }
    }

    interface GitOps {
        /** Remote GitOps repository (file://, https:// or ssh); unset: {@code <data-dir>/gitops.git}, seeded with the demo app. */
        Optional<String> url();

        /** The branch the service reads and commits to. */
        @WithDefault("main")
        String branch();

        /** HTTPS token (sent as the password; user below). */
        Optional<String> token();

        /** User name sent with the HTTPS token. */
        @WithDefault("x-access-token")
        String username();

        /** Private key file for SSH remotes. */
        Optional<Path> sshKey();

        /** known_hosts file checked for SSH remotes; unset: the user's default. */
        Optional<Path> sshKnownHosts();

        /** Name and e-mail of the commits' author and committer. */
        @WithDefault("gitops-relay")
        String authorName();

        @WithDefault("gitops-relay@localhost")
        String authorEmail();

        /** How many times a push rejected because another writer went first is re-applied. */
        @WithDefault("5")
        int pushAttempts();

        /** Base of the jittered back-off between attempts. */
        @WithDefault("PT0.1S")
        Duration retryBackoff();

        /**
         * Web address of the GitOps repository (e.g. {@code https://github.com/org/gitops}), for links to its
         * commits in notifications; unset: commits are named, not linked.
         */
        Optional<String> webUrl();

        /** How often the app registry is refreshed from the remote when no event did it. */
        @WithDefault("PT30S")
        Duration refreshInterval();

        /**
         * How old the GitOps cache may be for a change to be planned on it without fetching first (0: always fetch).
         * A commit planned on a stale cache is rejected by the remote and planned again, and a "nothing to do" or a
         * refusal decided on it is checked by a fetch; this bounds how long a change by hand may go unseen otherwise.
         */
        @WithDefault("PT10S")
        Duration maxStaleness();

        /** Longest silence of the remote during a fetch, push or ls-remote before it fails (retried by handlers). */
        @WithDefault("PT30S")
        Duration timeout();

        /**
         * How many of the branch's latest commits are searched for the one an event made, when a redelivered event
         * finds its change already there (to publish its outcome again with that commit).
         */
        @WithDefault("500")
        int trailerSearchDepth();

        /** When the cache and the local GitOps repository are packed ({@code relay.gitops.packing.*}). */
        Packing packing();

        interface Packing {
            /** How often the repositories are checked (and packed when due). */
            @WithDefault("PT1M")
            Duration interval();

            /** More packs than this (Git's gc.autoPackLimit) make a repository due for packing. */
            @WithDefault("50")
            int packLimit();

            /** More loose objects than this (Git's gc.auto) make a repository due for packing. */
            @WithDefault("6700")
            int looseLimit();

            /**
             * How long the relay must have pushed nothing before a due repository is packed; at four times a limit
             * it is packed anyway.
             */
            @WithDefault("PT10S")
            Duration idle();
        }
    }

    interface Render {
        /**
         * The command that renders an overlay folder, given as its last argument. Unset: {@code kustomize build}
         * if kustomize is on the PATH, else {@code kubectl kustomize}.
         */
        Optional<String> command();

        /** A render taking longer than this fails, and Kustomize and every process it started are killed. */
        @WithDefault("PT60S")
        Duration timeout();

        /** Largest rendered output accepted, in bytes; a render past it is stopped and refused. */
        @WithDefault("16777216")
        int maxOutputBytes();

        /**
         * How many overlays of a batch render at once; 0: as many as the machine has cores. Each render is a
         * Kustomize process, so more than the cores only queues in the kernel.
         */
        @WithDefault("0")
        int parallelism();

        /**
         * Whether a deployment whose app folder differs from an already checked one only by the image tag (and the
         * relay's own annotations) skips its render: Kustomize gives the same output but for that tag.
         */
        @WithDefault("true")
        boolean reuse();
    }

    interface Kafka {
        /** Partitions of each topic the service creates (existing topics are left as they are). */
        @WithDefault("3")
        int partitions();

        /** Replication factor of each topic the service creates. */
        @WithDefault("1")
        short replicationFactor();

        /** How long a webhook waits for Kafka to acknowledge its event before answering 503. */
        @WithDefault("PT5S")
        Duration sendTimeout();

        /**
         * How many times a handler tries an event whose failure may be transient (Git or Kustomize unreachable)
         * before dead-lettering it; with the back-off below, the default rides out about four minutes of outage.
         */
        @WithDefault("10")
        int handlerAttempts();

        /** First wait between a handler's tries; doubled each time, with jitter. */
        @WithDefault("PT1S")
        Duration handlerBackoff();

        /** Longest wait between a handler's tries. */
        @WithDefault("PT1M")
        Duration handlerMaxBackoff();

        /**
         * How many event ids the monitor and the notifier each remember, to act once on an event delivered twice
         * (a redelivery republishes under the same id).
         */
        @WithDefault("10000")
        int seenEvents();

        /** Longest a dead-letter listing or replay waits on any one Kafka call, and to read the topic to its end. */
        @WithDefault("PT30S")
        Duration replayTimeout();
    }
}
