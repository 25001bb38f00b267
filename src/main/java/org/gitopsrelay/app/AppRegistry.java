package org.gitopsrelay.app;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The apps registered in the GitOps repository, read from {@code apps/<app>/app.yaml} at each new commit of the
 * branch. A broken app.yaml is reported (log, metric, event) and leaves that app out; the others carry on.
 */
@ApplicationScoped
public class AppRegistry {

    private static final Logger LOG = Logger.getLogger(AppRegistry.class);

    /**
     * The registry as of one GitOps commit. {@code holders}: which app each environment namespace belongs to, kept
     * from one commit to the next so that a newcomer never takes a namespace from the app that has it.
     * {@code leftOutSources}: the repository each invalid app's app.yaml names, where it still names one.
     */
    private record State(String commit, Map<String, AppSpec> apps, Map<String, List<AppSpec>> bySource,
            Map<String, String> invalid, Map<String, String> holders, Map<String, SourceRepo> leftOutSources) {
    }

    private final MeterRegistry metrics;
    private final EventPublisher publisher;
    private final Roles roles;
    private final Map<String, AtomicInteger> invalidGauges = new ConcurrentHashMap<>();
    private final AtomicInteger registered = new AtomicInteger();
    private volatile State state = new State(null, Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

    @Inject
    public AppRegistry(MeterRegistry metrics, EventPublisher publisher, Roles roles) {
        this.metrics = metrics;
        this.publisher = publisher;
        this.roles = roles;
        Gauge.builder(RelayMetrics.APPS_REGISTERED, registered, AtomicInteger::get)
                .description("Apps whose app.yaml is valid").register(metrics);
    }

    public List<AppSpec> appsFor(SourceRepo source) {
        return state.bySource().getOrDefault(source.key(), List.of());
    }

    public Optional<AppSpec> app(String name) {
        return Optional.ofNullable(state.apps().get(name));
    }

    public Map<String, AppSpec> apps() {
        return state.apps();
    }

    /**
     * The apps left out of the registry (their app.yaml is invalid) whose app.yaml still names {@code source}: their
     * previews are closed by that repository's closings, though nothing else is done for them.
     */
    public List<String> leftOutAppsFor(SourceRepo source) {
        return state.leftOutSources().entrySet().stream().filter(entry -> entry.getValue().equals(source))
                .map(Map.Entry::getKey).toList();
    }

    /** The repository the app.yaml of a left-out app names, if it names one. */
    public Optional<SourceRepo> leftOutSource(String app) {
        return Optional.ofNullable(state.leftOutSources().get(app));
    }

    /** Problems of each app whose app.yaml cannot be used, by app. */
    public Map<String, String> invalidApps() {
        return state.invalid();
    }

    /**
     * Re-reads the registrations when the branch moved since the last refresh. The snapshot is taken inside the
     * lock, so that two refreshes racing can never leave the older one in place.
     */
    public synchronized void refresh(Supplier<Snapshot> latest) {
        Snapshot snapshot = latest.get();
        String commit = snapshot.commit().orElse(null);
        if (commit != null && commit.equals(state.commit())) {
            return;
        }
        state = load(snapshot, commit, state);
    }

    private State load(Snapshot snapshot, String commit, State previous) {
        Map<String, AppSpec> apps = new TreeMap<>();
        Map<String, List<AppSpec>> bySource = new HashMap<>();
        Map<String, String> invalid = new TreeMap<>();
        for (String folder : snapshot.folders("apps")) {
            Optional<String> yaml = snapshot.read("apps/" + folder + "/app.yaml");
            if (yaml.isEmpty()) {
                invalid.put(folder, "apps/" + folder + "/app.yaml: missing");
                continue;
            }
            try {
                AppSpec app = AppSpecParser.parse(folder, yaml.get());
                apps.put(app.name(), app);
            } catch (InvalidAppException e) {
                invalid.put(folder, e.getMessage());
            }
        }
        Map<String, String> holders = leaveOutNamespaceClashes(apps, invalid, Namespaces.livePreviews(snapshot),
                withFirstClaims(snapshot, apps, invalid.keySet(), previous.holders()));
        Map<String, SourceRepo> leftOutSources = new TreeMap<>();
        for (String app : invalid.keySet()) {
            snapshot.read("apps/" + app + "/app.yaml").flatMap(AppSpecParser::sourceOf)
                    .ifPresent(source -> leftOutSources.put(app, source));
        }
        apps.values().forEach(app -> bySource.computeIfAbsent(app.source().key(), key -> new ArrayList<>()).add(app));
        registered.set(apps.size());
        for (Map.Entry<String, String> broken : invalid.entrySet()) {
            gauge(broken.getKey()).set(1);
            // Every role reads the registry; one reports, or each monitor and notifier restart would say it again.
            if (roles.runs(Role.HANDLERS) && !broken.getValue().equals(previous.invalid().get(broken.getKey()))) {
                report(broken.getKey(), broken.getValue(), commit);
            }
        }
        invalidGauges.forEach((app, gauge) -> {
            if (!invalid.containsKey(app)) {
                gauge.set(0);
            }
        });
        if (!apps.keySet().equals(previous.apps().keySet())) {
            LOG.infof("Registered apps at GitOps commit %s: %s", commit, apps.keySet());
        }
        return new State(commit, Map.copyOf(apps), Map.copyOf(bySource), Map.copyOf(invalid), Map.copyOf(holders),
                Map.copyOf(leftOutSources));
    }

    /**
     * Namespaces are {@code <app>-<env>} and {@code <app>-<slug>}: app {@code a-b}'s environment {@code c} and app
     * {@code a}'s environment {@code b-c} would share one; so would app {@code x-pr}'s environment {@code 5} and app
     * {@code x}'s preview {@code pr-5}. One owner each: a namespace an app held at the previous commit stays its own
     * while its app.yaml declares it (or cannot be read for a while); a live preview keeps its own; what is left goes
     * to apps by name (so at the first read, after a start, a clash between two environments is decided by name). An
     * app that would run an environment in a namespace owned by another is left out, whole, until renamed; the owner
     * carries on. Returns the namespaces held now.
     */
    /**
     * Who held each contested environment namespace is known from the last read; after a restart it is not, and
     * the app whose overlay folder for it came first in the GitOps history holds it (the name decides a tie), so
     * that a restart never hands a namespace to the app that sorts first.
     */
    private static Map<String, String> withFirstClaims(Snapshot snapshot, Map<String, AppSpec> apps,
            java.util.Set<String> broken, Map<String, String> heldBefore) {
        Map<String, List<String[]>> claims = new HashMap<>();
        for (AppSpec app : apps.values()) {
            for (EnvironmentSpec env : app.environments()) {
                claims.computeIfAbsent(env.namespace(), namespace -> new ArrayList<>())
                        .add(new String[] { app.name(), env.overlayDir(app.name()) });
            }
        }
        Map<String, String> held = new HashMap<>(heldBefore);
        claims.forEach((namespace, claimants) -> {
            String holder = held.get(namespace);
            // A holder that still claims it (or whose app.yaml is broken for a while) keeps it; one that no longer
            // does decides nothing.
            if (claimants.size() < 2 || holder != null && (broken.contains(holder)
                    || claimants.stream().anyMatch(claim -> claim[0].equals(holder)))) {
                return;
            }
            // The overlay folder that appeared first (an ancestor commit before its descendants), then the name.
            Map<String, Optional<String>> since = new HashMap<>();
            claimants.forEach(claim -> since.put(claim[0], snapshot.firstChange(claim[1])));
            claimants.stream().min((x, y) -> {
                Optional<String> a = since.get(x[0]);
                Optional<String> b = since.get(y[0]);
                int age = a.isPresent() && b.isPresent() ? snapshot.compareAge(a.get(), b.get())
                        : Boolean.compare(a.isEmpty(), b.isEmpty());
                return age != 0 ? age : x[0].compareTo(y[0]);
            })
                    .ifPresent(first -> held.put(namespace, first[0]));
        });
        return held;
    }

    private static Map<String, String> leaveOutNamespaceClashes(Map<String, AppSpec> apps, Map<String, String> invalid,
            Map<String, Namespaces.LivePreview> previews, Map<String, String> heldBefore) {
        Map<String, String> owners = new HashMap<>();
        heldBefore.forEach((namespace, app) -> {
            AppSpec spec = apps.get(app);
            boolean declared = spec != null && spec.environments().stream()
                    .anyMatch(env -> env.namespace().equals(namespace));
            if (declared || spec == null && invalid.containsKey(app)) {
                owners.put(namespace, app);
            }
        });
        for (AppSpec app : List.copyOf(apps.values())) {
            for (EnvironmentSpec env : app.environments()) {
                String owner = owners.get(env.namespace());
                Namespaces.LivePreview preview = previews.get(env.namespace());
                String clash = null;
                if (owner != null && !owner.equals(app.name())) {
                    clash = "app " + owner;
                } else if (owner == null && preview != null && !preview.app().equals(app.name())) {
                    clash = preview.describe();
                }
                if (clash != null) {
                    apps.remove(app.name());
                    invalid.put(app.name(), "apps/" + app.name() + "/app.yaml: environment " + env.name()
                            + " would run in namespace " + env.namespace() + ", which belongs to " + clash);
                    break;
                }
            }
            if (apps.containsKey(app.name())) {
                app.environments().forEach(env -> owners.put(env.namespace(), app.name()));
            }
        }
        return owners;
    }

    private AtomicInteger gauge(String app) {
        return invalidGauges.computeIfAbsent(app, name -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder(RelayMetrics.APPS_INVALID, value, AtomicInteger::get).tag("app", name)
                    .description("1 while the app's app.yaml cannot be used").register(metrics);
            return value;
        });
    }

    private void report(String app, String problems, String commit) {
        LOG.errorf("App %s is left out: %s (GitOps commit %s)", app, problems, commit);
        RelayEvent event = RelayEvent.of(EventCodec.stableId("app-invalid", app, String.valueOf(commit)),
                "/gitops", Instant.now(), new OutcomeEvent.AppInvalid(app, problems, commit));
        try {
            publisher.publish(Topics.DEPLOYMENTS, event);
        } catch (RelayException e) {
            LOG.warnf("Could not publish that app %s is invalid: %s", app, e.getMessage());
        }
    }
}
