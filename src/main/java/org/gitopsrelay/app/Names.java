package org.gitopsrelay.app;

import java.util.regex.Pattern;

/** Rules for the names that become folders, namespaces and hostnames. */
public final class Names {

    /** A DNS-1123 label: lower case letters, digits and inner dashes, at most 63 characters. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    /** An OCI image tag. */
    private static final Pattern IMAGE_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    /** An image reference without tag or digest: registry host, optional port, path of lower case components. */
    private static final Pattern IMAGE = Pattern.compile(
            "[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)+|[a-z0-9]+([._-][a-z0-9]+)*");

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}([0-9a-f]{24})?");

    private Names() {
    }

    public static boolean isDnsLabel(String name, int maxLength) {
        return name != null && name.length() <= maxLength && DNS_LABEL.matcher(name).matches();
    }

    public static boolean isImageTag(String tag) {
        return tag != null && IMAGE_TAG.matcher(tag).matches();
    }

    public static boolean isImage(String image) {
        return image != null && image.length() <= 255 && IMAGE.matcher(image).matches();
    }

    public static boolean isCommitSha(String sha) {
        return sha != null && SHA.matcher(sha).matches();
    }
}
