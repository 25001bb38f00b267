package org.gitopsrelay.webhook;

import java.time.Instant;
import java.util.Locale;

import org.gitopsrelay.app.Names;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

import com.fasterxml.jackson.databind.JsonNode;

/** Turns GitHub's {@code push}, {@code create} and {@code pull_request} bodies into git changes. */
public final class GitHubPayloads {

    private GitHubPayloads() {
    }

    public static Normalised normalise(String event, JsonNode body) {
        return switch (event) {
            case "push" -> push(body);
            case "create" -> ref(body, true);
            // The event's name is a header, which the signature does not cover: a signed create body sent as
            // "delete" must not close anything. GitHub's push with deleted: true (a signed field) says it instead.
            case "delete" -> new Normalised.Ignored("GitHub's delete event is not acted on: the push with"
                    + " \"deleted\": true sent with it closes what the branch fed; environments keep their last"
                    + " deployment");
            case "pull_request" -> pullRequest(body);
            default -> new Normalised.Ignored("GitHub event '" + event + "' is not one gitops-relay acts on");
        };
    }

    static SourceRepo repository(JsonNode body) {
        String url = Json.text(body, "repository.html_url");
        try {
            return SourceRepo.parse(url);
        } catch (IllegalArgumentException e) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field 'repository.html_url' is not a repository URL: "
                    + e.getMessage());
        }
    }

    private static Normalised push(JsonNode body) {
        SourceRepo repo = repository(body);
        String ref = Json.text(body, "ref");
        RefKind kind;
        String name;
        if (ref.startsWith("refs/heads/")) {
            kind = RefKind.BRANCH;
            name = ref.substring("refs/heads/".length());
        } else if (ref.startsWith("refs/tags/")) {
            kind = RefKind.TAG;
            name = ref.substring("refs/tags/".length());
        } else {
            return new Normalised.Ignored("push to " + ref + ", which is neither a branch nor a tag");
        }
        if (name.isEmpty()) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field 'ref' names no branch or tag: " + ref);
        }
        String before = sha(body, "before");
        String after = sha(body, "after");
        boolean deleted = Json.bool(body, "deleted") || GitChange.ZERO_SHA.equals(after);
        String head = Json.optionalText(body, "head_commit.id");
        if (head != null && !Names.isCommitSha(head.toLowerCase(Locale.ROOT))) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field 'head_commit.id' is not a commit SHA");
        }
        String headCommit = head != null ? head.toLowerCase(Locale.ROOT) : after;
        JsonNode commits = Json.at(body, "commits");
        if (commits != null && !commits.isArray()) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field 'commits' must be a list");
        }
        String pusher = firstText(body, "pusher.name", "sender.login");
        // The push's own time orders pushes; a commit's timestamp would not (an old commit can be pushed late).
        Instant pushedAt = Json.time(body, "repository.pushed_at");
        return new Normalised.Change(new GitChange.Push(repo, kind, name, before, after, headCommit,
                commits == null ? 0 : commits.size(), pusher, pushedAt, oldestCommitTime(body, commits),
                Json.bool(body, "created"), deleted, Json.bool(body, "forced")));
    }

    /** The oldest of the pushed commits' times, else the head commit's: where the change's lead time starts. */
    private static Instant oldestCommitTime(JsonNode body, JsonNode commits) {
        Instant oldest = null;
        if (commits != null) {
            for (int i = 0; i < commits.size(); i++) {
                Instant time = Json.time(commits.get(i), "timestamp");
                if (time != null && (oldest == null || time.isBefore(oldest))) {
                    oldest = time;
                }
            }
        }
        return oldest != null ? oldest : Json.time(body, "head_commit.timestamp");
    }

    private static Normalised ref(JsonNode body, boolean created) {
        SourceRepo repo = repository(body);
        String name = Json.text(body, "ref");
        String type = Json.text(body, "ref_type");
        RefKind kind = switch (type) {
            case "branch" -> RefKind.BRANCH;
            case "tag" -> RefKind.TAG;
            default -> throw new RelayException(Reason.MALFORMED_PAYLOAD,
                    "The field 'ref_type' must be 'branch' or 'tag', not '" + type + "'");
        };
        String sender = Json.optionalText(body, "sender.login");
        return new Normalised.Change(created ? new GitChange.RefCreated(repo, kind, name, sender)
                : new GitChange.RefDeleted(repo, kind, name, sender));
    }

    private static Normalised pullRequest(JsonNode body) {
        SourceRepo repo = repository(body);
        String action = Json.text(body, "action");
        int number = Json.integer(body, "number");
        if (number < 1) {
            // Its preview would be pr-<number>: refused here, not in the handler after a 202.
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field 'number' must be a pull request number"
                    + " (1 or more), not " + number);
        }
        String headSha = Json.text(body, "pull_request.head.sha").toLowerCase(Locale.ROOT);
        if (!Names.isCommitSha(headSha)) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field 'pull_request.head.sha' is not a commit SHA");
        }
        String headRepo = Json.optionalText(body, "pull_request.head.repo.full_name");
        String baseRepo = Json.optionalText(body, "pull_request.base.repo.full_name");
        // A deleted fork leaves head.repo null: its code is still from outside.
        boolean fromFork = headRepo == null || !headRepo.equalsIgnoreCase(baseRepo);
        return new Normalised.Change(new GitChange.PullRequest(repo, action, number,
                Json.optionalText(body, "pull_request.title"), Json.optionalText(body, "pull_request.user.login"),
                Json.text(body, "pull_request.head.ref"), headSha, Json.text(body, "pull_request.base.ref"), fromFork,
                Json.bool(body, "pull_request.merged"), Json.optionalText(body, "pull_request.html_url"),
                Json.time(body, "pull_request.updated_at")));
    }

    private static String sha(JsonNode body, String field) {
        String value = Json.text(body, field).toLowerCase(Locale.ROOT);
        if (!Names.isCommitSha(value)) {
            throw new RelayException(Reason.MALFORMED_PAYLOAD, "The field '" + field + "' is not a commit SHA");
        }
        return value;
    }

    private static String firstText(JsonNode body, String... paths) {
        for (String path : paths) {
            String value = Json.optionalText(body, path);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

}
