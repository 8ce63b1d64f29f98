package fwi.cloud.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph;
import fwi.cloud.prune.ChannelGroup;
import fwi.cloud.prune.Member;
import java.nio.file.Path;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner groups}: the coupled channel groups the pruner found, and why frozen ones are frozen. */
@Command(name = "groups", mixinStandardHelpOptions = true,
    description = "Lists the model's coupled channel groups: channels, producing layers, every weight axis that loses "
        + "channels with them, and for frozen groups the reason they cannot be pruned.")
final class GroupsCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file.")
  Path model;

  @Option(names = "--members", description = "Also list every member weight axis.")
  boolean members;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ChannelGraph cg = ChannelGraph.analyze(OnnxModels.read(model));
    if (json) {
      ObjectMapper mapper = json();
      ArrayNode a = mapper.createArrayNode();
      for (ChannelGroup g : cg.groups()) {
        ObjectNode o = a.addObject();
        o.put("name", g.name());
        o.put("channels", g.channels());
        o.put("prunable", g.prunable());
        g.frozenReason().ifPresent(r -> o.put("frozen", r));
        ArrayNode p = o.putArray("producers");
        g.producers().forEach(p::add);
        ArrayNode m = o.putArray("members");
        for (Member x : g.members()) {
          m.addObject().put("initializer", x.initializer()).put("axis", x.axis()).put("role", x.role().name())
              .put("node", x.node());
        }
      }
      out().println(mapper.writeValueAsString(a));
      return 0;
    }
    String fmt = "%-18s %8s  %-9s %s%n";
    out().printf(fmt, "group", "channels", "prunable", "producers / reason frozen");
    for (ChannelGroup g : cg.groups()) {
      out().printf(fmt, g.name(), g.channels(), g.prunable() ? "yes" : "no",
          g.frozenReason().orElse(String.join(", ", g.producers())));
      if (members) {
        out().print(g.members().stream().map(x -> "    " + x + "\n").collect(Collectors.joining()));
      }
    }
    out().printf("%d groups, %d prunable%n", cg.groups().size(), cg.prunable().size());
    return 0;
  }
}
