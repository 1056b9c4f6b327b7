// Golden vectors from a real memcached 1.6.18 (Debian 12's): each session is a client byte stream,
// memcached's exact answer to it, and, for the quiet requests in it, what memcached answered to
// the loud rewrite the proxy forwards instead. Replaying a session through the request parser,
// the rewrite encoder, the reply parser and quiet_suppresses() must rebuild memcached's answer
// byte for byte: its error texts, its resync after bad lines and bad data blocks, its reply
// framing and its quiet-mode rules.
//
// Captured with two fresh `memcached -u nobody -p PORT -U 0 -l 127.0.0.1` processes and a
// Python raw-socket script: A got each client stream on a new connection and its output was
// read until the final "MN\r\n" (or "<EOF>" when memcached closed); B got the same items one at a
// time, each followed by "mn\r\n", with quiet items replaced by their loud form, so B's answer to
// each loud item could be cut out. Both servers saw the same operations, so cas values agree.
#include "coproxy/protocol/memcache.hpp"
// The header under test comes first, so that it is seen to stand alone.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "memcache_test_util.hpp"

namespace coproxy::protocol::memcache {
namespace {

using namespace std::string_literals;

struct session {
    std::string_view name;
    std::string client;         // what the client sent
    std::string server;         // what memcached 1.6.18 answered
    std::string loud_requests;  // the quiet requests in it, made loud as the proxy forwards them
    std::string loud_replies;   // memcached's answers to those loud requests
};

// clang-format off
const std::vector<session>& sessions() {
    static const std::vector<session> rows = {
    {"unknown_command",
     "bogus\r\nGET foo\r\ng\r\nmz foo\r\nmn\r\n"s,
     "ERROR\r\nERROR\r\nERROR\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"empty_lines",
     "\r\n\n   \r\nmn\r\n"s,
     "ERROR\r\nERROR\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"tab_is_not_a_separator",
     "get\tfoo\r\nmn\r\n"s,
     "ERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"token_counts",
     "get\r\ngets\r\ngat\r\nincr\r\nincr a\r\ntouch a\r\ndelete\r\nset a 0 0\r\ncas a 0 0 1\r\nverbosity\r\nflush_all 1 2 3\r\nmn\r\n"s,
     "ERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"set_bad_length_resyncs_on_data_line",
     "set foo 0 0 abc\r\nhi\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"set_bad_numbers",
     "set foo -1 0 2\r\nset foo 0x1 0 2\r\nset foo 0 x 2\r\nset foo 0 0 -1\r\nset foo 0 0 2147483647\r\nset foo 18446744073709551616 0 0\r\ncas foo 0 0 1 abc\r\ncas foo 0 0 1 -1\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"set_key_too_long",
     "set kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk 0 0 1\r\nx\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"set_noreply_hides_errors",
     "set foo 0 0 abc noreply\r\nset foo 0 0 noreply\r\nset kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk 0 0 1 noreply\r\nmn\r\n"s,
     "MN\r\n"s,
     ""s,
     ""s},
    {"bad_data_chunk",
     "set foo 0 0 2\r\nhiX\r\nset foo 0 0 2\r\nhiXY\r\nset foo 0 0 2\r\nhi\rXmn\r\n"s,
     "CLIENT_ERROR bad data chunk\r\nERROR\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nCLIENT_ERROR bad data chunk\r\nMN\r\n"s,
     ""s,
     ""s},
    {"bad_data_chunk_bare_newline",
     "set foo 0 0 2\r\nhi\nmn\r\nmn\r\n"s,
     "CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"bad_data_chunk_noreply_is_silent",
     "set foo 0 0 2 noreply\r\nhiX\r\ncas foo 0 0 2 1 noreply\r\nhiX\r\nmn\r\n"s,
     "ERROR\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"bad_data_chunk_ms_always_answers",
     "ms foo 2\r\nhiX\r\nms foo 2 q\r\nhiXYmn\r\n"s,
     "CLIENT_ERROR bad data chunk\r\nERROR\r\nCLIENT_ERROR bad data chunk\r\nMN\r\n"s,
     ""s,
     ""s},
    {"too_large_swallows",
     "set big 0 0 2000000\r\n"s + std::string(2000000, 'x') + "\r\nmn\r\n"s,
     "SERVER_ERROR object too large for cache\r\nMN\r\n"s,
     ""s,
     ""s},
    {"too_large_swallows_whatever_ends_it",
     "set big 0 0 2000000\r\n"s + std::string(2000000, 'x') + "XYmn\r\n"s,
     "SERVER_ERROR object too large for cache\r\nMN\r\n"s,
     ""s,
     ""s},
    {"too_large_noreply_is_silent",
     "set big 0 0 2000000 noreply\r\n"s + std::string(2000000, 'x') + "\r\nmn\r\n"s,
     "MN\r\n"s,
     ""s,
     ""s},
    {"too_large_ms",
     "ms big 2000000 T0\r\n"s + std::string(2000000, 'x') + "\r\nms big 2000000 q\r\n"s + std::string(2000000, 'x') + "\r\nmn\r\n"s,
     "SERVER_ERROR object too large for cache\r\nSERVER_ERROR object too large for cache\r\nMN\r\n"s,
     ""s,
     ""s},
    {"incr_errors",
     "incr foo abc\r\nincr foo -1\r\nincr foo 18446744073709551616\r\nincr foo abc noreply\r\ndecr kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk 1\r\nmn\r\n"s,
     "CLIENT_ERROR invalid numeric delta argument\r\nCLIENT_ERROR invalid numeric delta argument\r\nCLIENT_ERROR invalid numeric delta argument\r\nCLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"touch_errors",
     "touch foo abc\r\ntouch foo abc noreply\r\ntouch kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk 1\r\nmn\r\n"s,
     "CLIENT_ERROR invalid exptime argument\r\nCLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"delete_errors",
     "delete foo 1\r\ndelete foo bar baz\r\ndelete foo 0 0\r\ndelete foo noreply 0\r\ndelete foo 1 noreply\r\ndelete foo 0 noreply x\r\ndelete kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\r\ndelete kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk noreply\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"get_errors",
     "get a kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk b\r\nmn\r\ngat abc foo\r\ngats x\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nMN\r\nCLIENT_ERROR invalid exptime argument\r\nCLIENT_ERROR invalid exptime argument\r\nMN\r\n"s,
     ""s,
     ""s},
    {"gat_key_too_long",
     "gat 1 kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"flush_all_errors",
     "flush_all abc\r\nflush_all noreply 10\r\nflush_all 10 noreply x\r\nflush_all x noreply\r\nmn\r\n"s,
     "CLIENT_ERROR invalid exptime argument\r\nCLIENT_ERROR invalid exptime argument\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"verbosity_errors",
     "verbosity abc\r\nverbosity x noreply\r\nverbosity 1 2 3\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_missing_key",
     "mg\r\nms\r\nmd\r\nma\r\nme\r\nms foo\r\nmn\r\n"s,
     "ERROR\r\nERROR\r\nERROR\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_key_too_long",
     "mg kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk v\r\nms kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk 2\r\nhi\r\nmd kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\r\nma kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\r\nme kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_invalid_flags",
     "mg foo E5\r\nmg foo zz\r\nmg foo S\r\nmd foo x\r\nma foo zz\r\nms foo 2 zz\r\nhi\r\nmg foo \200\r\nmn\r\n"s,
     "CLIENT_ERROR invalid flag\r\nCLIENT_ERROR invalid flag\r\nCLIENT_ERROR invalid flag\r\nCLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid flag\r\nCLIENT_ERROR duplicate flag\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_duplicate_flags",
     "mg foo v v\r\nms foo 2 T1 T2\r\nhi\r\nms foo 2 ME MS\r\nhi\r\nmd foo q q\r\nmn\r\n"s,
     "CLIENT_ERROR duplicate flag\r\nCLIENT_ERROR duplicate flag\r\nCLIENT_ERROR duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_bad_tokens",
     "mg foo Nabc\r\nmg foo T\r\nmg foo Rx\r\nmg foo Nabc Mxx\r\nms foo 2 Fabc\r\nhi\r\nms foo 2 Cabc\r\nhi\r\nms foo 2 Mxy\r\nhi\r\nma foo Jabc\r\nma foo Dabc\r\nmd foo Cabc\r\nmn\r\n"s,
     "CLIENT_ERROR bad token in command line format\r\nCLIENT_ERROR bad token in command line format\r\nCLIENT_ERROR bad token in command line format\r\nCLIENT_ERROR incorrect length for M token\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad token in command line format\r\nCLIENT_ERROR incorrect length for M token\r\nCLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR invalid or duplicate flag\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_modes",
     "ms foo 2 Mx\r\nhi\r\nma foo Mx\r\nmn\r\n"s,
     "CLIENT_ERROR invalid mode for ms M token\r\nCLIENT_ERROR invalid mode for ma M token\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_opaque_too_long",
     "mg foo Oxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nmd foo Oxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nms foo 2 Oxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nhi\r\nma nokey Oxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nmn\r\n"s,
     "CLIENT_ERROR opaque token too long\r\nCLIENT_ERROR opaque token too long\r\nCLIENT_ERROR opaque token too long\r\nCLIENT_ERROR opaque token too long\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_base64_errors",
     "mg foo b\r\nmg Zm9v= b\r\nmg ==== b\r\nms foo 2 b\r\nhi\r\nmd foo b\r\nme foo b\r\nmn\r\n"s,
     "CLIENT_ERROR error decoding key\r\nCLIENT_ERROR error decoding key\r\nCLIENT_ERROR error decoding key\r\nCLIENT_ERROR error decoding key\r\nCLIENT_ERROR invalid or duplicate flag\r\nCLIENT_ERROR bad command line format\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_flags_too_long",
     "mg foo c f h k l s t u v O1 T1 N1 R1 q P L I u\r\nmd foo c f h k l s t u v O1 T1 N1 R1 q P L I x\r\nma foo c f h k l s t u v O1 T1 N1 R1 P L I q S\r\nms foo 2 c f h k l s t u v O1 T1 N1 R1 P L I q\r\nhi\r\nmn\r\n"s,
     "CLIENT_ERROR options flags are too long\r\nCLIENT_ERROR options flags too long\r\nCLIENT_ERROR options flags too long\r\nCLIENT_ERROR options flags too long\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"ms_bad_length_does_not_swallow",
     "ms foo abc\r\nhi\r\nms foo -1\r\nms foo S2\r\nhi\r\nmn\r\n"s,
     "CLIENT_ERROR bad command line format\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nERROR\r\nMN\r\n"s,
     ""s,
     ""s},
    {"mn_ignores_arguments",
     "mn foo bar\r\nmn\r\n"s,
     "MN\r\nMN\r\n"s,
     ""s,
     ""s},
    {"quit_closes",
     "quit\r\nmn\r\n"s,
     "<EOF>"s,
     ""s,
     ""s},
    {"classic_storage",
     "set a 5 0 3\r\none\r\nadd a 0 0 1\r\nx\r\nadd b 0 0 3\r\ntwo\r\nreplace c 0 0 1\r\nx\r\nreplace b 7 0 3\r\nTWO\r\nappend a 0 0 2\r\n!!\r\nprepend a 0 0 2\r\n<<\r\nappend nokey 0 0 1\r\nx\r\nset binary 0 0 8\r\n\r\nEND\r\n!\r\nset empty 0 0 0\r\n\r\nset foo 0 0 2 xyz\r\nhi\r\nmn\r\n"s,
     "STORED\r\nNOT_STORED\r\nSTORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nMN\r\n"s,
     ""s,
     ""s},
    {"classic_retrieval",
     "get a\r\nget a b nokey binary empty\r\ngets a b\r\nget nokey1 nokey2\r\n  get a\r\nget a \r\nget a\000b c\r\ngat 100 a nokey b\r\ngats 0 b\r\ngat 10\r\nmn\r\n"s,
     "VALUE a 5 7\r\n<<one!!\r\nEND\r\nVALUE a 5 7\r\n<<one!!\r\nVALUE b 7 3\r\nTWO\r\nVALUE binary 0 8\r\n\r\nEND\r\n!\r\nVALUE empty 0 0\r\n\r\nEND\r\nVALUE a 5 7 5\r\n<<one!!\r\nVALUE b 7 3 3\r\nTWO\r\nEND\r\nEND\r\nVALUE a 5 7\r\n<<one!!\r\nEND\r\nVALUE a 5 7\r\n<<one!!\r\nEND\r\nVALUE a 5 7\r\n<<one!!\r\nEND\r\nVALUE a 5 7\r\n<<one!!\r\nVALUE b 7 3\r\nTWO\r\nEND\r\nVALUE b 7 3 3\r\nTWO\r\nEND\r\nEND\r\nMN\r\n"s,
     ""s,
     ""s},
    {"classic_many_keys",
     "get k0 k1 k2 k3 k4 k5 k6 k7 k8 k9 k10 k11 k12 k13 k14 k15 k16 k17 k18 k19 k20 k21 k22 k23 k24 k25 k26 k27 k28 k29 k30 k31 k32 k33 k34 k35 k36 k37 k38 k39 k40 k41 k42 k43 k44 k45 k46 k47 k48 k49 k50 k51 k52 k53 k54 k55 k56 k57 k58 k59 k60 k61 k62 k63 k64 k65 k66 k67 k68 k69 k70 k71 k72 k73 k74 k75 k76 k77 k78 k79 k80 k81 k82 k83 k84 k85 k86 k87 k88 k89 k90 k91 k92 k93 k94 k95 k96 k97 k98 k99 k100 k101 k102 k103 k104 k105 k106 k107 k108 k109 k110 k111 k112 k113 k114 k115 k116 k117 k118 k119 a\r\nmn\r\n"s,
     "VALUE a 5 7\r\n<<one!!\r\nEND\r\nMN\r\n"s,
     ""s,
     ""s},
    {"classic_cas",
     "set c 0 0 1\r\n1\r\ngets c\r\ncas c 0 0 1 999\r\n2\r\ncas nokey 0 0 1 1\r\n2\r\nmn\r\n"s,
     "STORED\r\nVALUE c 0 1 9\r\n1\r\nEND\r\nEXISTS\r\nNOT_FOUND\r\nMN\r\n"s,
     ""s,
     ""s},
    {"classic_counters",
     "set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nincr nokey 1\r\ndecr n 1 xyz\r\nset t 0 0 2\r\nab\r\nincr t 1\r\nincr n 18446744073709551615\r\nmn\r\n"s,
     "STORED\r\n15\r\n0\r\nNOT_FOUND\r\n0\r\nSTORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n18446744073709551615\r\nMN\r\n"s,
     ""s,
     ""s},
    {"classic_misc",
     "touch a 100\r\ntouch nokey 100\r\ntouch a 100 xyz\r\ndelete b\r\ndelete b\r\ndelete a 0\r\nversion\r\nversion x y\r\nverbosity 0\r\nverbosity 0 1\r\nflush_all 0 x\r\nmn\r\n"s,
     "TOUCHED\r\nNOT_FOUND\r\nTOUCHED\r\nDELETED\r\nNOT_FOUND\r\nDELETED\r\nVERSION 1.6.18\r\nVERSION 1.6.18\r\nOK\r\nOK\r\nOK\r\nMN\r\n"s,
     ""s,
     ""s},
    {"classic_noreply",
     "set q 0 0 1 noreply\r\n1\r\nadd q 0 0 1 noreply\r\n1\r\nincr q 2 noreply\r\nincr nokey 2 noreply\r\ntouch q 10 noreply\r\ndelete nokey noreply\r\ndelete q 0 noreply\r\nset t 0 0 2 noreply\r\nab\r\nincr t 1 noreply\r\ncas t 0 0 1 1 noreply\r\nx\r\nverbosity 0 noreply\r\nget q t\r\nmn\r\n"s,
     "VALUE t 0 2\r\nab\r\nEND\r\nMN\r\n"s,
     "set q 0 0 1\r\n1\r\nadd q 0 0 1\r\n1\r\nincr q 2\r\nincr nokey 2\r\ntouch q 10\r\ndelete nokey\r\ndelete q 0\r\nset t 0 0 2\r\nab\r\nincr t 1\r\ncas t 0 0 1 1\r\nx\r\nverbosity 0\r\n"s,
     "STORED\r\nNOT_STORED\r\n3\r\nNOT_FOUND\r\nTOUCHED\r\nNOT_FOUND\r\nDELETED\r\nSTORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nEXISTS\r\nOK\r\n"s},
    {"meta_basic",
     "ms m1 2\r\nhi\r\nmg m1\r\nmg m1 v\r\nmg m1 k v f s c O123\r\nmg nokey v\r\nmg nokey k O9\r\nms m2 3 T0 F5 c k O1\r\nabc\r\nms m2 1 ME\r\nx\r\nms m2 1 C1\r\nx\r\nms nokey 1 MR\r\nx\r\nms m2 1 MA\r\n!\r\nms m2 1 MP\r\n<\r\nmg m2 v\r\nms m3 4\r\n\r\n\r\n\r\nmg m3 v\r\nmg m1 P Lpath v\r\nmg   m1   v  \r\nmn\r\n"s,
     "HD\r\nHD\r\nVA 2\r\nhi\r\nVA 2 km1 f0 s2 c20 O123\r\nhi\r\nEN\r\nEN knokey O9\r\nHD c21 km2 O1\r\nNS\r\nEX\r\nNS\r\nHD\r\nHD\r\nVA 5\r\n<abc!\r\nHD\r\nVA 4\r\n\r\n\r\n\r\nVA 2\r\nhi\r\nVA 2\r\nhi\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_delete_arith",
     "ms d1 1\r\nx\r\nmd d1 C1\r\nmd d1\r\nmd d1\r\nmd nokey O5 k\r\nms n1 1\r\n5\r\nma n1\r\nma n1 v\r\nma n1 MD D10 v\r\nma nokey\r\nma auto N0 J7 v\r\nma n1 C1\r\nma d1\r\nms s1 1\r\nx\r\nma s1\r\nme nokey\r\nmn\r\n"s,
     "HD\r\nEX\r\nHD\r\nNF\r\nNF O5 knokey\r\nHD\r\nHD\r\nVA 1\r\n7\r\nVA 1\r\n0\r\nNF\r\nVA 1\r\n7\r\nEX\r\nNF\r\nHD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nEN\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_base64",
     "ms Zm9v 2 b\r\nhi\r\nmg Zm9v b v k\r\nmg foo v\r\nmg Zg== b v\r\nmd Zm9v b\r\nmg foo v\r\nmn\r\n"s,
     "HD\r\nVA 2 kZm9v b\r\nhi\r\nVA 2\r\nhi\r\nEN\r\nHD\r\nEN\r\nMN\r\n"s,
     ""s,
     ""s},
    {"meta_quiet",
     "ms mq 2 q\r\nhi\r\nmg mq q\r\nmg mq q v k\r\nmg nokey q v\r\nmg nokey k q O1\r\nms mq 1 q ME\r\nx\r\nms mq 1 q C1\r\nx\r\nms nokey 1 q MR\r\nx\r\nmd nokey q\r\nmd mq q C1\r\nmd mq q I\r\nmg mq q v\r\nmd mq q\r\nms cnt 1 q\r\n5\r\nma cnt q\r\nma cnt q v\r\nma nokey q\r\nma mq q\r\nma cnt q C1\r\nms txt 1 q\r\nx\r\nma txt q\r\nmg cnt qv\r\nmg cnt v\r\nmn\r\n"s,
     "HD\r\nVA 2 kmq\r\nhi\r\nNS\r\nEX\r\nNS\r\nNF\r\nEX\r\nVA 2 X W\r\nhi\r\nNF\r\nNF\r\nEX\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nHD\r\nVA 1\r\n7\r\nMN\r\n"s,
     "ms mq 2\r\nhi\r\nmg mq\r\nmg mq v k\r\nmg nokey v\r\nmg nokey k O1\r\nms mq 1 ME\r\nx\r\nms mq 1 C1\r\nx\r\nms nokey 1 MR\r\nx\r\nmd nokey\r\nmd mq C1\r\nmd mq I\r\nmg mq v\r\nmd mq\r\nms cnt 1\r\n5\r\nma cnt\r\nma cnt v\r\nma nokey\r\nma mq\r\nma cnt C1\r\nms txt 1\r\nx\r\nma txt\r\nmg cnt\r\n"s,
     "HD\r\nHD\r\nVA 2 kmq\r\nhi\r\nEN\r\nEN knokey O1\r\nNS\r\nEX\r\nNS\r\nNF\r\nEX\r\nHD\r\nVA 2 X W\r\nhi\r\nHD\r\nHD\r\nHD\r\nVA 1\r\n7\r\nNF\r\nNF\r\nEX\r\nHD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nHD\r\n"s},
    {"pipeline_errors_between_requests",
     "set p 0 0 1\r\n1\r\nbogus\r\nincr p 1\r\nset p 0 0 x\r\nget p\r\ndelete p 5\r\nmg p v\r\nmg p zz\r\ndelete p\r\nmn\r\n"s,
     "STORED\r\nERROR\r\n2\r\nCLIENT_ERROR bad command line format\r\nVALUE p 0 1\r\n2\r\nEND\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nVA 1\r\n2\r\nCLIENT_ERROR invalid flag\r\nDELETED\r\nMN\r\n"s,
     ""s,
     ""s},
    };
    return rows;
}
// clang-format on

// Feeds `bytes` to `parse` `chunk` bytes more at a time until it stops asking for more.
template <typename Parse>
auto feed(std::string_view bytes, std::size_t chunk, Parse parse) {
    std::size_t size = std::min(chunk, bytes.size());
    for (;;) {
        auto r = parse(bytes.substr(0, size));
        if (r.st != status::need_more || size == bytes.size()) {
            return r;
        }
        size = std::min(size + chunk, bytes.size());
    }
}

// Plays the proxy: parse client requests as they arrive `chunk` bytes at a time, answer rejected
// ones locally, take a loud request's reply from memcached's recorded output and drop it when
// the client asked for quiet. The client must end up with exactly what memcached sent.
void replay(const session& s, std::size_t chunk) {
    SCOPED_TRACE(testing::Message() << s.name << ", chunk " << chunk);
    request_parser requests;
    reply_parser replies;
    std::string buffer;
    std::string to_client;
    std::string forwarded_loud;
    std::size_t loud_pos = 0;
    bool closed = false;
    for (std::size_t fed = 0; fed < s.client.size() && !closed; fed += chunk) {
        buffer.append(s.client, fed, chunk);
        for (;;) {
            const auto r = requests.parse(buffer);
            ASSERT_LE(r.consumed, buffer.size());
            if (r.st == status::need_more) {
                ASSERT_EQ(r.consumed, 0u);
                break;
            }
            if (r.st != status::ok) {
                to_client += r.reply;
                ASSERT_EQ(to_client, s.server.substr(0, to_client.size()))
                    << "rejecting " << buffer.substr(0, r.consumed);
                buffer.erase(0, r.consumed);
                ASSERT_FALSE(r.close) << "no golden session closes on a rejected request";
                continue;
            }
            const request& req = requests.request();
            if (req.cmd == command::quit) {
                to_client += "<EOF>";
                closed = true;
                break;
            }
            if (!req.quiet) {
                // The server's reply to this request starts where the client's output is.
                const std::string_view rest = std::string_view(s.server).substr(to_client.size());
                const auto reply = feed(
                    rest, chunk, [&](std::string_view b) { return replies.parse(b, req.cmd); });
                ASSERT_EQ(reply.st, status::ok) << "reply to " << req.line << " in " << rest;
                to_client += rest.substr(0, reply.consumed);
            } else {
                encode_without_quiet(req, forwarded_loud);
                const std::string_view rest = std::string_view(s.loud_replies).substr(loud_pos);
                const auto reply = feed(
                    rest, chunk, [&](std::string_view b) { return replies.parse(b, req.cmd); });
                ASSERT_EQ(reply.st, status::ok) << "loud reply to " << req.line << " in " << rest;
                if (!quiet_suppresses(req.cmd, replies.kind())) {
                    to_client += rest.substr(0, reply.consumed);
                }
                loud_pos += reply.consumed;
            }
            buffer.erase(0, r.consumed);
            ASSERT_EQ(to_client, s.server.substr(0, to_client.size())) << "after " << req.line;
        }
    }
    EXPECT_EQ(to_client, s.server);
    EXPECT_EQ(forwarded_loud, s.loud_requests);
    EXPECT_EQ(loud_pos, s.loud_replies.size());
    EXPECT_FALSE(requests.swallowing());
}

TEST(MemcacheGolden, SessionsReplayWhole) {
    std::map<std::string, std::string> seeds;
    for (const session& s : sessions()) {
        replay(s, s.client.size());
        if (s.client.size() < 100000) {  // the 2 MB sessions would only slow the fuzzer
            seeds[std::string(s.name)] = testing_util::fuzz_input(false, command::get, s.client);
        }
    }
    testing_util::check_seeds("golden_", seeds);
}

TEST(MemcacheGolden, SessionsReplayInPieces) {
    for (const session& s : sessions()) {
        for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 4096u}) {
            if (chunk < 64 && s.client.size() > 100000) {
                continue;  // the 2 MB "too large" sessions: byte by byte adds nothing
            }
            replay(s, chunk);
        }
    }
}

}  // namespace
}  // namespace coproxy::protocol::memcache
