package org.gitopsrelay.app;

import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.GitChange.RefKind;

/** Turns an environment's image tag template into the tag a push deploys. */
public final class ImageTagTemplate {

    private ImageTagTemplate() {
    }

    /**
     * The tag for this push, or an {@link IllegalArgumentException} saying why the push cannot be deployed: the
     * ref name comes from the webhook and is not trusted to be a valid tag.
     */
    public static String render(String template, GitChange.Push push) {
        return render(template, push.headCommit(), push.refKind(), push.refName());
    }

    /** The tag for commit {@code sha} on the branch or tag {@code refName}. */
    public static String render(String template, String sha, RefKind refKind, String refName) {
        if (!Names.isCommitSha(sha)) {
            throw new IllegalArgumentException("the pushed commit '" + sha + "' is not a commit SHA");
        }
        String tag = template.replace("{sha}", sha).replace("{shortSha}", sha.substring(0, 7));
        if (tag.contains("{tag}")) {
            if (refKind != RefKind.TAG) {
                throw new IllegalArgumentException("{tag} is used but " + refName + " is a branch");
            }
            tag = tag.replace("{tag}", refName);
        }
        if (tag.contains("{branch}")) {
            if (refKind != RefKind.BRANCH) {
                throw new IllegalArgumentException("{branch} is used but " + refName + " is a tag");
            }
            tag = tag.replace("{branch}", refName.replace('/', '-'));
        }
        if (!Names.isImageTag(tag)) {
            throw new IllegalArgumentException("'" + tag + "' is not a valid image tag");
        }
        return tag;
    }
}
