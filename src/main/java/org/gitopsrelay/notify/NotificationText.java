package org.gitopsrelay.notify;

import static org.gitopsrelay.notify.Markdown.code;
import static org.gitopsrelay.notify.Markdown.link;
import static org.gitopsrelay.notify.Markdown.plain;
import static org.gitopsrelay.notify.Markdown.shortSha;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.OutcomeEvent.AppInvalid;
import org.gitopsrelay.event.OutcomeEvent.DeploymentCommitted;
import org.gitopsrelay.event.OutcomeEvent.DeploymentFailed;
import org.gitopsrelay.event.OutcomeEvent.DeploymentRestarted;
import org.gitopsrelay.event.OutcomeEvent.DeploymentRolledBack;
import org.gitopsrelay.event.OutcomeEvent.PreviewCreated;
import org.gitopsrelay.event.OutcomeEvent.PreviewDeleted;
import org.gitopsrelay.event.OutcomeEvent.PreviewEvent;
import org.gitopsrelay.event.OutcomeEvent.PreviewExpired;
import org.gitopsrelay.event.OutcomeEvent.PreviewRefused;
import org.gitopsrelay.event.OutcomeEvent.PreviewUpdated;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.event.SourceRepo;

/**
 * What a notification says, in Markdown: a {@link #line} for a reply or a single post, and a {@link #card} for a
 * thread's root, showing the current state. Links are built only from validated parts (the app's registered source
 * repository, commit SHAs, numbers, the relay's own preview URL); everything else is escaped.
 */
final class NotificationText {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final int SHORT = 120;
    private static final int REASON = 400;
    private static final int ERROR = 1500;

    private final Optional<SourceRepo> source;
    private final Optional<String> gitopsWebUrl;

    NotificationText(Optional<SourceRepo> source, Optional<String> gitopsWebUrl) {
        this.source = source;
        this.gitopsWebUrl = gitopsWebUrl.map(url -> url.replaceAll("/+$", ""));
    }

    /** One line (and a card) telling what this event did. */
    Message line(OutcomeEvent event) {
        if (event instanceof DeploymentCommitted d) {
            return new Message(":white_check_mark: **" + d.app() + "** " + code(d.environment(), SHORT) + " now runs "
                    + code(d.image(), 200), deploymentCard(d.sourceCommit(), d.sourceRef(), d.pusher(),
                            d.gitopsCommit()), Message.GREEN);
        }
        if (event instanceof DeploymentFailed d) {
            return new Message(":x: **" + d.app() + "** deployment to " + code(d.environment(), SHORT) + " failed ("
                    + code(d.reason(), SHORT) + "): nothing was committed", deploymentCard(d.sourceCommit(),
                            d.sourceRef(), d.pusher(), null) + "\n" + Markdown.block(d.error(), ERROR), Message.RED);
        }
        if (event instanceof DeploymentRolledBack d) {
            return new Message(":rewind: **" + d.app() + "** " + code(d.environment(), SHORT) + " rolled back to "
                    + code(d.image(), 200) + " from " + code(d.fromImage(), 200), "Asked by: " + plain(d.requestedBy(),
                            SHORT) + gitopsSuffix(d.gitopsCommit()), Message.ORANGE);
        }
        if (event instanceof DeploymentRestarted d) {
            return new Message(":arrows_counterclockwise: **" + d.app() + "** " + code(d.environment(), SHORT)
                    + " restarts (" + code(d.image(), 200) + ")", "Asked by: " + plain(d.requestedBy(), SHORT)
                            + gitopsSuffix(d.gitopsCommit()), Message.BLUE);
        }
        if (event instanceof PreviewCreated p) {
            return new Message(":rocket: Preview " + code(p.preview().slug(), SHORT) + " of **" + p.app()
                    + "** is live at " + previewLink(p.preview()), null, Message.GREEN);
        }
        if (event instanceof PreviewUpdated p) {
            return new Message(":arrows_counterclockwise: Updated to " + sourceLink(p.preview().headCommit())
                    + gitopsSuffix(p.gitopsCommit()), null, Message.BLUE);
        }
        if (event instanceof PreviewRefused p) {
            return new Message(":no_entry: Preview " + code(p.preview().slug(), SHORT) + " of **" + p.app()
                    + "** not deployed: " + plain(p.reason(), REASON), null, Message.ORANGE);
        }
        if (event instanceof PreviewDeleted p) {
            return new Message(":wastebasket: Closed: " + plain(p.reason(), REASON)
                    + "; Argo CD removes its namespace" + gitopsSuffix(p.gitopsCommit()), null, Message.GREY);
        }
        if (event instanceof PreviewExpired p) {
            return new Message(":hourglass: Expired: " + plain(p.reason(), REASON) + gitopsSuffix(p.gitopsCommit()),
                    null, Message.GREY);
        }
        AppInvalid a = (AppInvalid) event;
        return new Message(":warning: **" + a.app() + "**: app.yaml cannot be used and the app is left out until it"
                + " is fixed", plain(a.problems(), ERROR) + gitopsSuffix(a.gitopsCommit()), Message.ORANGE);
    }

    /** The root post of a thread, showing where things stand after {@code event}. */
    Message card(OutcomeEvent event) {
        if (event instanceof PreviewEvent p) {
            return previewCard(p);
        }
        if (event instanceof DeploymentCommitted d) {
            return new Message(":package: **" + d.app() + "** " + code(d.environment(), SHORT) + " deployment of "
                    + code(d.image(), 200), "State: :white_check_mark: committed, waiting for the cluster\n"
                            + deploymentCard(d.sourceCommit(), d.sourceRef(), d.pusher(), d.gitopsCommit()),
                    Message.GREEN);
        }
        if (event instanceof DeploymentFailed d) {
            return new Message(":package: **" + d.app() + "** " + code(d.environment(), SHORT) + " deployment of "
                    + code(d.image(), 200), "State: :x: failed (" + code(d.reason(), SHORT) + ")\n"
                            + deploymentCard(d.sourceCommit(), d.sourceRef(), d.pusher(), null), Message.RED);
        }
        return line(event);
    }

    private Message previewCard(PreviewEvent event) {
        Preview preview = event.preview();
        String state;
        String color;
        if (event instanceof PreviewCreated) {
            state = ":large_green_circle: live";
            color = Message.GREEN;
        } else if (event instanceof PreviewUpdated) {
            state = ":large_green_circle: live, updated to " + code(shortSha(preview.headCommit()), 12);
            color = Message.BLUE;
        } else if (event instanceof PreviewRefused p) {
            state = ":no_entry: not deployed: " + plain(p.reason(), REASON);
            color = Message.ORANGE;
        } else if (event instanceof PreviewDeleted p) {
            state = ":white_circle: closed: " + plain(p.reason(), REASON);
            color = Message.GREY;
        } else {
            state = ":white_circle: expired";
            color = Message.GREY;
        }
        List<String> lines = new ArrayList<>();
        lines.add("State: " + state);
        if (preview.url() != null) {
            lines.add("URL: " + previewLink(preview));
        }
        StringBuilder what = new StringBuilder();
        if (preview.pullRequest() != null) {
            what.append("Pull request ").append(pullRequestLink(preview.pullRequest())).append(" · ");
        }
        what.append("branch ").append(code(preview.branch(), SHORT));
        if (preview.author() != null) {
            what.append(" · by ").append(code(preview.author(), 60));
        }
        lines.add(what.toString());
        if (preview.headCommit() != null) {
            lines.add("Running " + sourceLink(preview.headCommit()) + (preview.image() == null ? ""
                    : " as " + code(preview.image(), 200)));
        }
        if (preview.expiresAt() != null && !(event instanceof PreviewDeleted) && !(event instanceof PreviewExpired)) {
            lines.add("Expires " + TIME.format(preview.expiresAt()) + " unless it gets a new commit");
        }
        String title = ":eyes: Preview " + code(preview.slug(), SHORT) + " of **" + preview.app() + "**";
        return new Message(title, String.join("\n", lines), color);
    }

    private String deploymentCard(String sourceCommit, String sourceRef, String pusher, String gitopsCommit) {
        String card = "Source " + sourceLink(sourceCommit) + " (" + code(sourceRef, SHORT) + ")";
        if (pusher != null) {
            card += " pushed by " + code(pusher, 60);
        }
        return card + gitopsSuffix(gitopsCommit);
    }

    private String previewLink(Preview preview) {
        // The relay built this URL from the app name, a slug and a configured domain: all validated.
        return preview.url() == null ? "" : link(preview.url(), preview.url());
    }

    private String sourceLink(String sha) {
        String label = code(shortSha(sha), 12);
        return source.filter(repo -> !shortSha(sha).isEmpty())
                .map(repo -> link(label, "https://" + repo.key() + "/commit/" + sha)).orElse(label);
    }

    private String pullRequestLink(int number) {
        return source.map(repo -> link("#" + number, "https://" + repo.key() + "/pull/" + number))
                .orElse("#" + number);
    }

    private String gitopsSuffix(String gitopsCommit) {
        if (shortSha(gitopsCommit).isEmpty()) {
            return "";
        }
        String label = code(shortSha(gitopsCommit), 12);
        return " · GitOps commit " + gitopsWebUrl.map(url -> link(label, url + "/commit/" + gitopsCommit))
                .orElse(label);
    }
}
