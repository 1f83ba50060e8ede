# Writes OUT, a C file holding every file under DIR (the dashboard,
# bridge/web/) as a byte array plus the table br_web_bundle[] (bridge_jobs.h),
# so the bridge serves the dashboard without files at run time.
# Run as: cmake -DDIR=... -DOUT=... -P embed_web.cmake
if(EXISTS ${DIR})
  file(GLOB_RECURSE files RELATIVE ${DIR} ${DIR}/*)
else()
  set(files "")
endif()
list(SORT files)
set(arrays "")
set(table "")
set(count 0)
foreach(rel ${files})
  # hidden files and editor leftovers are not part of the dashboard
  if(rel MATCHES "(^|/)\\." OR rel MATCHES "~$")
    continue()
  endif()
  file(READ ${DIR}/${rel} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "(................................)" "\\1\n    " hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "/* ${rel} */\nstatic const unsigned char w${count}[] = {\n    ${bytes}0};\n\n")
  string(APPEND table "    {\"/${rel}\", w${count}, ${len}},\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  set(table "    {0, 0, 0},\n")
endif()
set(text "/* Generated from bridge/web/ by embed_web.cmake: do not edit. */
#include \"bridge_jobs.h\"

${arrays}const br_web_file br_web_bundle[] = {
${table}};
const size_t br_web_bundle_count = ${count};
")
# Rewrite only on change, so an unchanged bundle does not rebuild.
if(EXISTS ${OUT})
  file(READ ${OUT} old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE ${OUT} "${text}")
