package org.gitopsrelay.preview;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.gitopsrelay.event.GitChange;

/**
 * Which preview events of a batch are handled, and which are superseded. A run of openings and updates of one preview
 * with no other preview event of its app in between ends where the newest of them would have left it had each been
 * handled in turn: the one with the latest activity (of equal ones, the last), since an update older than what the
 * preview shows changes nothing. So only that one is handled, in the place of the run's last event, and the others
 * are named in its commit. Any other preview event of the app ends the run, as it may change what the next update
 * finds (a closing record, a slot under the app's preview cap); so do closings, reopenings and events with no time
 * of their own, which are handled on their own. Events of other apps in between are independent of the run.
 */
public final class PreviewCoalescing {

    /** Pull request actions that open or move a preview without reopening it (a reopening may follow a closing). */
    private static final Set<String> UPDATES = Set.of("opened", "synchronize", "synchronized");

    private PreviewCoalescing() {
    }

    /** A preview event of the batch: what the caller tracks it by, its app and its change. */
    public record Item<T>(T tracked, String app, GitChange change) {
    }

    /** What to handle: the event, and the older ones of the same preview it supersedes (in batch order). */
    public record Handle<T>(T event, List<T> superseded) {
    }

    /** The events to handle, in batch order of each run's last event; every item is in exactly one. */
    public static <T> List<Handle<T>> plan(List<Item<T>> items) {
        // Positions in the batch, grouped: a run of one preview's updates, or an event handled on its own.
        List<List<Integer>> groups = new ArrayList<>();
        Map<String, Run> openRuns = new HashMap<>();
        for (int position = 0; position < items.size(); position++) {
            Item<T> item = items.get(position);
            Optional<String> key = coalescibleKey(item);
            Run run = openRuns.get(item.app());
            if (key.isPresent() && run != null && run.preview().equals(key.get())) {
                run.positions().add(position);
                continue;
            }
            if (key.isPresent()) {
                run = new Run(key.get(), new ArrayList<>(List.of(position)));
                openRuns.put(item.app(), run);
                groups.add(run.positions());
            } else {
                openRuns.remove(item.app());
                groups.add(List.of(position));
            }
        }
        List<Handle<T>> handles = new ArrayList<>();
        groups.sort(java.util.Comparator.comparingInt(group -> group.get(group.size() - 1)));
        for (List<Integer> group : groups) {
            int newest = group.get(0);
            for (int position : group.subList(1, group.size())) {
                if (!activity(items.get(position)).isBefore(activity(items.get(newest)))) {
                    newest = position;
                }
            }
            int winner = newest;
            handles.add(new Handle<>(items.get(winner).tracked(), group.stream()
                    .filter(position -> position != winner).map(position -> items.get(position).tracked()).toList()));
        }
        return handles;
    }

    /** The app's run of updates under way: which preview, and where its events stand in the batch. */
    private record Run(String preview, List<Integer> positions) {
    }

    /**
     * The preview an event is about: a pull request's number, or a branch. The kind is part of the key: a branch may
     * be named {@code 7}, or {@code #7}, without being pull request #7.
     */
    private static Optional<String> previewKey(Item<?> item) {
        if (item.change() instanceof GitChange.PullRequest pr) {
            return Optional.of("pull request\n" + pr.number());
        }
        if (item.change() instanceof GitChange.Push push) {
            return Optional.of("branch\n" + push.refName());
        }
        return Optional.empty();
    }

    /** The preview key of an opening or update that a newer one of the same preview may stand for. */
    private static Optional<String> coalescibleKey(Item<?> item) {
        if (item.change() instanceof GitChange.PullRequest pr) {
            return UPDATES.contains(pr.action()) && pr.updatedAt() != null ? previewKey(item) : Optional.empty();
        }
        if (item.change() instanceof GitChange.Push push) {
            return !push.deleted() && push.pushedAt() != null ? previewKey(item) : Optional.empty();
        }
        return Optional.empty();
    }

    private static Instant activity(Item<?> item) {
        if (item.change() instanceof GitChange.PullRequest pr) {
            return pr.updatedAt();
        }
        return ((GitChange.Push) item.change()).pushedAt();
    }
}
