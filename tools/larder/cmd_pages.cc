// Page-level commands: pages, page, page-item, dump (bbolt's formats). They read the file
// through the engine's raw page reader (larder/bolt/raw_file.h: read-only, shared lock, every
// offset checked), so a damaged page gives an error line, never a crash; this file only prints
// what it decodes.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "format.h"
#include "larder/bolt/raw_file.h"

namespace larder::cli {
namespace {

using bolt::PageKind;
using bolt::Pgid;
using bolt::RawFile;
using bolt::RawPage;

const char kSeparator[] = "===============================================\n";  // 47 '='

struct PageArgs {
  std::string file;
  std::string timeout = "5s";
  std::vector<std::string> ids;
  bool all = false;
  std::string format_value = "auto";
  bool key_only = false;
  bool value_only = false;
  std::string format = "auto";
};

Result<std::vector<Pgid>> ParseIds(const std::vector<std::string>& args) {
  std::vector<Pgid> ids;
  for (const std::string& a : args) {
    std::size_t used = 0;
    Pgid id = 0;
    try {
      if (a.empty() || a[0] == '-' || a[0] == '+') throw std::invalid_argument(a);
      id = std::stoull(a, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != a.size() || a.empty()) {
      return Status::InvalidArgument(fmt::format("invalid page id {:?}", a));
    }
    ids.push_back(id);
  }
  return ids;
}

// bbolt prints keys as %q when printable, else as hex.
std::string KeyText(std::string_view key) {
  return IsPrintableUtf8(key) ? GoQuote(key) : HexEncode(key);
}

Result<std::unique_ptr<RawFile>> OpenRaw(const PageArgs& a) {
  return RawFile::Open(a.file, {.lock_timeout = *ParseGoDuration(a.timeout)});
}

int RunPages(const PageArgs& a) {
  auto raw = OpenRaw(a);
  if (!raw.ok()) return Fail(raw.status());
  auto list = (*raw)->ListPages();
  if (!list.ok()) return Fail(list.status());
  std::string out = "ID       TYPE       ITEMS  OVRFLW\n======== ========== ====== ======\n";
  for (const bolt::PageListEntry& e : list->pages) {
    if (e.free) {
      out += fmt::format("{:<8} {:<10} {:<6} {:<6}\n", e.id, "free", "", "");
      continue;
    }
    const bolt::PageHeader& p = e.header;
    const std::string overflow = p.overflow > 0 ? std::to_string(p.overflow) : "";
    out += fmt::format("{:<8} {:<10} {:<6} {:<6}\n", e.id, p.type_name(), p.count, overflow);
  }
  WriteOut(out);
  return list->stopped.ok() ? kExitOk : Fail(list->stopped);
}

void PrintMeta(const RawPage& page, std::string& out) {
  const bolt::MetaFields m = page.Meta();
  out += fmt::format("Version:    {}\n", m.version);
  out += fmt::format("Page Size:  {} bytes\n", m.page_size);
  out += fmt::format("Flags:      {:08x}\n", m.flags);
  out += fmt::format("Root:       <pgid={}>\n", m.root);
  out += fmt::format("Freelist:   <pgid={}>\n", m.freelist);
  out += fmt::format("HWM:        <pgid={}>\n", m.pgid);
  out += fmt::format("Txn ID:     {}\n", m.txid);
  out += fmt::format("Checksum:   {:016x}\n", m.checksum);
  out += "\n";
}

// The items of a branch or leaf page, one line each; stops at the first damaged one.
Status PrintItems(const RawPage& page, ByteFormat value_format, std::string& out) {
  LARDER_ASSIGN_OR_RETURN(std::uint64_t count, page.ItemCount());
  out += fmt::format("Item Count: {}\n\n", count);
  for (std::uint64_t i = 0; i < count; ++i) {
    if (page.header().kind() == PageKind::kBranch) {
      LARDER_ASSIGN_OR_RETURN(bolt::BranchItem e, page.Branch(i));
      out += fmt::format("{}: <pgid={}>\n", KeyText(e.key), e.child);
      continue;
    }
    LARDER_ASSIGN_OR_RETURN(bolt::LeafItem e, page.Leaf(i));
    std::string v;
    if (e.is_bucket) {
      LARDER_ASSIGN_OR_RETURN(bolt::BucketRef b, page.LeafBucket(i));
      v = fmt::format("<pgid={},seq={}>", b.root, b.sequence);
    } else {
      v = FormatBytes(e.value, value_format);
    }
    out += fmt::format("{}: {}\n", KeyText(e.key), v);
  }
  out += "\n";
  return Status::Ok();
}

Status PrintFreelist(const RawPage& page, std::string& out) {
  LARDER_ASSIGN_OR_RETURN(std::vector<Pgid> ids, page.FreelistIds());
  out += fmt::format("Item Count: {}\nOverflow: {}\n\n", ids.size(), page.header().overflow);
  for (Pgid id : ids) out += fmt::format("{}\n", id);
  out += "\n";
  return Status::Ok();
}

// Prints one page; `overflow` receives its overflow count (for --all).
Status PrintPage(const RawFile& f, Pgid id, ByteFormat value_format, std::uint32_t* overflow) {
  LARDER_ASSIGN_OR_RETURN(RawPage page, f.ReadPage(id, true));
  const bolt::PageHeader& h = page.header();
  *overflow = h.overflow;
  std::string out;
  out += fmt::format("Page ID:    {}\n", h.id);
  out += fmt::format("Page Type:  {}\n", h.type_name());
  out += fmt::format("Total Size: {} bytes\n", page.bytes().size());
  out += fmt::format("Overflow pages: {}\n", h.overflow);
  Status s;
  switch (h.kind()) {
    case PageKind::kMeta:
      PrintMeta(page, out);
      break;
    case PageKind::kLeaf:
    case PageKind::kBranch:
      s = PrintItems(page, value_format, out);
      break;
    case PageKind::kFreelist:
      s = PrintFreelist(page, out);
      break;
    case PageKind::kUnknown:
      break;
  }
  WriteOut(out);
  return s;
}

int RunPage(const PageArgs& a, const CLI::App& sub) {
  auto ids = ParseIds(a.ids);
  if (!ids.ok()) return UsageError(sub, ids.status().message());
  if (a.all == !ids->empty()) {
    return UsageError(sub, a.all ? "--all takes no page ids" : "page id(s) required");
  }
  auto raw = OpenRaw(a);
  if (!raw.ok()) return Fail(raw.status());
  const RawFile& f = **raw;
  const ByteFormat format = *ByteFormatFromName(a.format_value);
  std::uint32_t overflow = 0;
  if (a.all) {
    const Pgid end = f.end_of_pages();
    for (Pgid id = 0; id < end; id += std::uint64_t{overflow} + 1) {
      if (id > 0) WriteOut(kSeparator);
      overflow = 0;
      Status s = PrintPage(f, id, format, &overflow);
      if (!s.ok()) return Fail(s);
    }
    return kExitOk;
  }
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (i > 0) WriteOut(kSeparator);
    Status s = PrintPage(f, (*ids)[i], format, &overflow);
    if (!s.ok()) return Fail(s);
  }
  return kExitOk;
}

int RunPageItem(const PageArgs& a, const CLI::App& sub) {
  if (a.key_only && a.value_only)
    return UsageError(sub, "--key-only and --value-only exclude each other");
  auto ids = ParseIds(a.ids);
  if (!ids.ok()) return UsageError(sub, ids.status().message());
  if (ids->size() != 2) return UsageError(sub, "a page id and an item id are required");
  auto raw = OpenRaw(a);
  if (!raw.ok()) return Fail(raw.status());
  auto page = (*raw)->ReadPage((*ids)[0], true);
  if (!page.ok()) return Fail(page.status());
  auto e = page->Leaf((*ids)[1]);
  if (!e.ok()) return Fail(e.status());
  const ByteFormat format = *ByteFormatFromName(a.format);
  std::string out;
  if (!a.value_only) out += FormatBytes(e->key, format) + "\n";
  if (!a.key_only) out += FormatBytes(e->value, format) + "\n";
  WriteOut(out);
  return kExitOk;
}

void DumpPage(std::span<const std::uint8_t> buf, std::uint64_t addr, std::string& out) {
  constexpr std::size_t kLine = 16;
  bool skipped = false;
  for (std::size_t off = 0; off + kLine <= buf.size(); off += kLine) {
    const bool last = off + kLine == buf.size();
    const bool same = off > 0 && std::equal(buf.begin() + off, buf.begin() + off + kLine,
                                            buf.begin() + off - kLine);
    if (same && !last) {
      if (!skipped) out += fmt::format("{:07x} *\n", addr + off);
      skipped = true;
      continue;
    }
    out += fmt::format("{:07x}", addr + off);
    for (std::size_t g = 0; g < kLine; g += 2) {
      out += fmt::format(" {:02x}{:02x}", buf[off + g], buf[off + g + 1]);
    }
    out += "\n";
    skipped = false;
  }
  out += "\n";
}

int RunDump(const PageArgs& a, const CLI::App& sub) {
  auto ids = ParseIds(a.ids);
  if (!ids.ok()) return UsageError(sub, ids.status().message());
  if (ids->empty()) return UsageError(sub, "page id(s) required");
  auto raw = OpenRaw(a);
  if (!raw.ok()) return Fail(raw.status());
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (i > 0) WriteOut(kSeparator);
    auto buf = (*raw)->ReadPage((*ids)[i], false);
    if (!buf.ok()) return Fail(buf.status());
    std::string out;
    DumpPage(buf->bytes(), (*ids)[i] * (*raw)->page_size(), out);
    WriteOut(out);
  }
  return kExitOk;
}

CLI::App* AddPageCommand(CLI::App& app, const char* name, const char* help, PageArgs* a) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("file", a->file, "Database file")->required();
  AddTimeoutOption(sub, &a->timeout);
  return sub;
}

}  // namespace

void RegisterPageCommands(CLI::App& app, Action& action) {
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub = AddPageCommand(app, "pages", "List the file's pages and their types", a.get());
    sub->callback([&action, a] { action = [a] { return RunPages(*a); }; });
  }
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub = AddPageCommand(app, "page", "Print the contents of pages", a.get());
    sub->add_option("ids", a->ids, "Page ids");
    sub->add_flag("--all", a->all, "Print every page");
    sub->add_option("--format-value", a->format_value,
                    "Leaf value format: auto|ascii-encoded|hex|bytes|redacted")
        ->check(CLI::IsMember(ByteFormatNames()))
        ->default_val("auto");
    sub->callback([&action, a, sub] { action = [a, sub] { return RunPage(*a, *sub); }; });
  }
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub =
        AddPageCommand(app, "page-item", "Print the key and value of a leaf page item", a.get());
    sub->add_option("page-and-item", a->ids, "Page id, then item index")->required();
    sub->add_flag("--key-only", a->key_only, "Print only the key");
    sub->add_flag("--value-only", a->value_only, "Print only the value");
    sub->add_option("--format,-f", a->format,
                    "Output format: auto|ascii-encoded|hex|bytes|redacted")
        ->check(CLI::IsMember(ByteFormatNames()))
        ->default_val("auto");
    sub->callback([&action, a, sub] { action = [a, sub] { return RunPageItem(*a, *sub); }; });
  }
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub = AddPageCommand(app, "dump", "Hexdump pages", a.get());
    sub->add_option("ids", a->ids, "Page ids")->required();
    sub->callback([&action, a, sub] { action = [a, sub] { return RunDump(*a, *sub); }; });
  }
}

}  // namespace larder::cli
