-- wrk script that rotates over prepared requests, one per line of the file named by the
-- environment variable BENCH_REQUESTS:
--   METHOD <tab> PATH <tab> HEADER: VALUE [<tab> HEADER: VALUE ...] <tab> BODY
-- (the last field is the body, empty for a GET). Each wrk thread starts at its own place in
-- the list. Every answer other than 2xx counts as an error; the first one is printed.
-- Usage: BENCH_REQUESTS=requests.tsv wrk -t2 -c64 -d10s -s bench/rotate.lua URL

local threads = {}
local counter = 0

function setup(thread)
   thread:set("offset", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function split(line)
   local fields = {}
   for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(fields, field)
   end
   return fields
end

function init(args)
   prepared = {}
   local file = assert(io.open(os.getenv("BENCH_REQUESTS"), "r"))
   for line in file:lines() do
      if line ~= "" then
         local fields = split(line)
         local headers = {}
         for i = 3, #fields - 1 do
            local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
            headers[name] = value
         end
         local body = fields[#fields]
         if body == "" then body = nil end
         table.insert(prepared, wrk.format(fields[1], fields[2], headers, body))
      end
   end
   file:close()
   -- Spread the threads over the list so that they do not send the same request at once.
   position = math.floor(#prepared * offset / 16)
   non2xx = 0
   first_error = ""
end

function request()
   position = position % #prepared + 1
   return prepared[position]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_error == "" then
         local text = string.sub(body or "", 1, 300):gsub('[%c"\\]', " ")
         first_error = tostring(status) .. " " .. text
      end
   end
end

function done(summary, latency, requests)
   local bad = 0
   local first = ""
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
      if first == "" then first = thread:get("first_error") or "" end
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, ' ..
      '"read": %d, "write": %d, "status": %d, "timeout": %d, "non2xx": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
      '"first_error": "%s"}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect,
      errors.read, errors.write, errors.status, errors.timeout, bad,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max, first))
end
