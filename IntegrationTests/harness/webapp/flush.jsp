<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- part1, flush, pause ?ms= (default 500), part2: shows whether the front end streams
     a flushed part to the client before the response ends. --%>
<%
    String s = request.getParameter("ms");
    long ms = (s == null) ? 500 : Long.parseLong(s);
    out.print("part1\n");
    out.flush();
    Thread.sleep(ms);
    out.print("part2\n");
    out.flush();
%>
