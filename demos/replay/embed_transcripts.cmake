# Writes OUT, a C file holding every DIR/*.sse as a byte array plus the table
# rp_bundle[] (replay_transcript.h), so the replay server needs no files at
# run time. Run as: cmake -DDIR=... -DOUT=... -P embed_transcripts.cmake
file(GLOB files ${DIR}/*.sse)
list(SORT files)
set(arrays "")
set(table "")
set(count 0)
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  string(REGEX REPLACE "\\.sse$" "" name "${name}")
  file(READ ${f} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  # 16 bytes a line (CMake's regex has no {n}: 32 dots make 16 hex pairs)
  string(REGEX REPLACE "(................................)" "\\1\n    " hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "/* ${name}.sse */\nstatic const unsigned char t${count}[] = {\n    ${bytes}0};\n\n")
  string(APPEND table "    {\"${name}\", (const char *)t${count}, ${len}},\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  set(table "    {0, 0, 0},\n")
endif()
set(text "/* Generated from the .sse files of demos/transcripts by embed_transcripts.cmake: do not edit. */
#include \"replay_transcript.h\"

${arrays}const rp_bundled rp_bundle[] = {
${table}};
const size_t rp_bundle_count = ${count};
")
# Rewrite only on change, so an unchanged bundle does not rebuild.
if(EXISTS ${OUT})
  file(READ ${OUT} old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE ${OUT} "${text}")
