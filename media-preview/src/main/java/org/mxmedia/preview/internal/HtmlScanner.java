package org.mxmedia.preview.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.parser.Parser;
import org.jsoup.parser.StreamParser;
import org.jspecify.annotations.Nullable;

/**
 * Reads what a preview needs from an HTML page in one streaming pass: jsoup's {@link StreamParser}
 * hands over each element as it closes, and the element is removed from the tree once read, so the
 * tree holds only the open elements (at most {@link #MAX_DEPTH} deep) and the text not yet
 * consumed. Text is consumed in document order: when an element closes, the text before it in each
 * open ancestor is taken first, then its own.
 *
 * <p>What it gathers follows Synapse's {@code parse_html_to_open_graph}: {@code og:}, {@code
 * article:} and {@code profile:} meta tags, {@code twitter:} meta tags, the first {@code <title>},
 * the first {@code h1}, {@code h2} and {@code h3}, the first meta description and {@code
 * itemprop="image"}, the largest {@code <img>} declaring more than 10 by 10 pixels, the first
 * {@code <img>} not declared tiny, the first icon link, the first oEmbed discovery link, and the
 * first text of the body outside {@code header}, {@code nav}, {@code aside}, {@code footer},
 * scripts, styles, SVG, embedded media and menus.
 */
final class HtmlScanner {
  /** Deeper elements are closed by the parser (jsoup's own limit is 512). */
  static final int MAX_DEPTH = 256;

  /**
   * Distinct {@code og:}-like and {@code twitter:} keys kept from one page; the rest are ignored.
   */
  static final int MAX_TAGS = 100;

  private static final Set<String> IGNORED =
      Set.of(
          "header",
          "nav",
          "aside",
          "footer",
          "script",
          "noscript",
          "style",
          "svg",
          "iframe",
          "video",
          "canvas",
          "img",
          "picture",
          "template",
          "select",
          "button");
  private static final Set<String> IGNORED_ROLES =
      Set.of("directory", "menu", "menubar", "toolbar", "navigation");
  private static final int IN_BODY = 1;
  private static final int SKIPPED = 2;
  private static final int HEADING_SHIFT = 2;

  /**
   * What a page says about itself; values are raw (cut to {@link Text#RAW_MAX}), not yet cleaned.
   */
  static final class Page {
    final Map<String, String> openGraph = new LinkedHashMap<>();
    final Map<String, String> twitter = new LinkedHashMap<>();
    @Nullable String title;
    final @Nullable String[] headings = new String[3];
    @Nullable String metaDescription;
    @Nullable String itempropImage;
    @Nullable String largestImage;
    double largestImageArea;
    @Nullable String firstImage;
    @Nullable String favicon;
    @Nullable String oEmbedHref;
    final Text.Collector bodyText = new Text.Collector(Text.SUMMARY_MIN);

    /** Elements read; for tests and logs. */
    long elements;
  }

  /** An open element's flags and depth (the document is depth 0). */
  private static final class Info {
    final int flags;
    final int depth;

    Info(int flags, int depth) {
      this.flags = flags;
      this.depth = depth;
    }
  }

  private static final Info ROOT = new Info(0, 0);

  private final Page page = new Page();

  /** Open elements seen so far; jsoup elements compare by identity. */
  private final Map<Element, Info> open = new HashMap<>();

  private final List<Element> levels = new ArrayList<>();
  private @Nullable Element lastParent;
  private final Text.Collector[] headingText = {
    new Text.Collector(Text.RAW_MAX),
    new Text.Collector(Text.RAW_MAX),
    new Text.Collector(Text.RAW_MAX)
  };

  private HtmlScanner() {}

  /**
   * Scans a page.
   *
   * @param reader the decoded page; read to its end, or until it fails
   * @param baseUri the page's URL, for jsoup's bookkeeping only (URLs are resolved by the caller)
   * @throws IOException when {@code reader} fails
   */
  static Page scan(Reader reader, String baseUri) throws IOException {
    HtmlScanner scanner = new HtmlScanner();
    Parser parser = Parser.htmlParser().setMaxDepth(MAX_DEPTH);
    try (StreamParser stream = new StreamParser(parser).parse(reader, baseUri)) {
      Iterator<Element> it = stream.iterator();
      while (it.hasNext()) {
        scanner.visit(it.next());
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return scanner.page;
  }

  /**
   * The first text of a parsed document's body, as {@link #scan} gathers it; collapsed, not yet
   * summarized.
   */
  static String bodyText(Document doc) {
    HtmlScanner scanner = new HtmlScanner();
    scanner.consumeChildren(doc.body(), enter(0, doc.body()));
    return scanner.page.bodyText.collapsed();
  }

  private void visit(Element e) {
    page.elements++;
    read(e);
    if (e instanceof Document) {
      consumeChildren(e, 0);
      return;
    }
    Element parent = e.parent();
    if (parent == null) {
      open.remove(e);
      return;
    }
    consumeBefore(e, parent);
    int level = headingLevel(e.normalName());
    if (wantText() && e.childNodeSize() > 0) {
      consumeChildren(e, info(e).flags);
    }
    if (level > 0 && page.headings[level - 1] == null && !headingText[level - 1].isEmpty()) {
      page.headings[level - 1] = headingText[level - 1].collapsed();
    }
    lastParent = parent;
    open.remove(e);
    e.remove();
  }

  private void read(Element e) {
    switch (e.normalName()) {
      case "meta":
        readMeta(e);
        break;
      case "title":
        if (page.title == null && Parser.NamespaceHtml.equals(e.tag().namespace())) {
          String t = Text.collapse(raw(e.text()));
          page.title = t.isEmpty() ? null : t;
        }
        break;
      case "img":
        readImage(e);
        break;
      case "link":
        readLink(e);
        break;
      default:
        break;
    }
  }

  private void readMeta(Element e) {
    String content = e.attr("content");
    if (content.isBlank()) {
      return;
    }
    for (String attribute : new String[] {"property", "name"}) {
      String key = e.attr(attribute).trim().toLowerCase(Locale.ROOT);
      if (key.startsWith("og:") || key.startsWith("article:") || key.startsWith("profile:")) {
        putFirst(page.openGraph, key, content);
      } else if (key.startsWith("twitter:")) {
        putFirst(page.twitter, key, content);
      }
    }
    if (page.metaDescription == null && e.attr("name").trim().equalsIgnoreCase("description")) {
      page.metaDescription = raw(content);
    }
    if (page.itempropImage == null && e.attr("itemprop").trim().equalsIgnoreCase("image")) {
      page.itempropImage = raw(content.trim());
    }
  }

  private static void putFirst(Map<String, String> tags, String key, String value) {
    if (tags.size() < MAX_TAGS && key.length() <= OpenGraph.MAX_KEY_LENGTH) {
      tags.putIfAbsent(key, raw(value));
    }
  }

  private void readImage(Element e) {
    String src = e.attr("src").trim();
    if (src.isEmpty() || src.regionMatches(true, 0, "data:", 0, 5)) {
      return;
    }
    double width = number(e.attr("width"));
    double height = number(e.attr("height"));
    if (width > 10 && height > 10) {
      if (width * height > page.largestImageArea) {
        page.largestImageArea = width * height;
        page.largestImage = raw(src);
      }
    } else if (page.firstImage == null && !(width <= 10) && !(height <= 10)) {
      page.firstImage = raw(src);
    }
  }

  private void readLink(Element e) {
    String href = e.attr("href").trim();
    if (href.isEmpty()) {
      return;
    }
    String rel = e.attr("rel").toLowerCase(Locale.ROOT);
    if (page.favicon == null && rel.contains("icon")) {
      page.favicon = raw(href);
    }
    if (page.oEmbedHref == null
        && e.attr("type").trim().equalsIgnoreCase("application/json+oembed")) {
      for (String token : rel.split("\\s+")) {
        if (token.equals("alternate") || token.equals("alternative")) {
          page.oEmbedHref = raw(href);
          break;
        }
      }
    }
  }

  /**
   * Consumes, top down, the nodes that precede {@code e} in its open ancestors. Only the ancestors
   * up to the nearest one shared with the previous element read can hold such nodes: above it, the
   * child on the path is the same as then, still open, and everything before it was consumed then.
   * This keeps the work per element near constant however deep the page is.
   */
  private void consumeBefore(Element e, Element parent) {
    Element stop =
        lastParent == null
            ? null
            : lastParent == parent || lastParent == e ? parent : commonAncestor(parent, lastParent);
    levels.clear();
    for (Element a = parent; a != null; a = a.parent()) {
      levels.add(a);
      if (a == stop) {
        break;
      }
    }
    for (int i = levels.size() - 1; i >= 0; i--) {
      Element ancestor = levels.get(i);
      Node pathChild = i == 0 ? e : levels.get(i - 1);
      while (ancestor.childNodeSize() > 0 && ancestor.childNode(0) != pathChild) {
        Node n = ancestor.childNode(0);
        if (wantText()) {
          consume(n, info(ancestor).flags);
        }
        n.remove();
      }
    }
  }

  private @Nullable Element commonAncestor(Element a, Element b) {
    Element x = a;
    Element y = b;
    int dx = info(x).depth;
    int dy = info(y).depth;
    while (x != null && y != null && x != y) {
      if (dx >= dy) {
        x = x.parent();
        dx--;
      } else {
        y = y.parent();
        dy--;
      }
    }
    return x != null && x == y ? x : null;
  }

  /** The flags and depth of an open element, computed once from its parent's. */
  private Info info(Element e) {
    if (e instanceof Document) {
      return ROOT;
    }
    Info i = open.get(e);
    if (i == null) {
      Element parent = e.parent();
      Info p = parent == null ? ROOT : info(parent);
      i = new Info(enter(p.flags, e), p.depth + 1);
      open.put(e, i);
    }
    return i;
  }

  /**
   * Whether text still matters: the summary is short, or there is neither a title nor an {@code h1}
   * yet.
   */
  private boolean wantText() {
    return !page.bodyText.full() || (page.title == null && page.headings[0] == null);
  }

  private void consumeChildren(Element e, int flags) {
    for (int i = 0; i < e.childNodeSize(); i++) {
      consume(e.childNode(i), flags);
    }
  }

  private void consume(Node n, int flags) {
    if (n instanceof TextNode) {
      route(((TextNode) n).getWholeText(), flags);
    } else if (n instanceof Element) {
      open.remove(n);
      consumeChildren((Element) n, enter(flags, (Element) n));
    }
  }

  private void route(String text, int flags) {
    if ((flags & (IN_BODY | SKIPPED)) == IN_BODY) {
      page.bodyText.accept(text);
    }
    int level = flags >>> HEADING_SHIFT;
    if (level > 0 && page.headings[level - 1] == null) {
      headingText[level - 1].accept(text);
    }
  }

  private static int enter(int flags, Element e) {
    String name = e.normalName();
    int f = flags;
    if (name.equals("body")) {
      f |= IN_BODY;
    }
    if (IGNORED.contains(name)
        || IGNORED_ROLES.contains(e.attr("role").trim().toLowerCase(Locale.ROOT))) {
      f |= SKIPPED;
    }
    int level = headingLevel(name);
    if (level > 0) {
      f = (f & ((1 << HEADING_SHIFT) - 1)) | level << HEADING_SHIFT;
    }
    return f;
  }

  private static int headingLevel(String name) {
    switch (name) {
      case "h1":
        return 1;
      case "h2":
        return 2;
      case "h3":
        return 3;
      default:
        return 0;
    }
  }

  private static double number(String s) {
    String t = s.trim();
    if (t.isEmpty() || t.length() > 16) {
      return Double.NaN;
    }
    try {
      double d = Double.parseDouble(t);
      return Double.isInfinite(d) ? Double.NaN : d;
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static String raw(String s) {
    return s.length() > Text.RAW_MAX ? s.substring(0, Text.RAW_MAX) : s;
  }
}
